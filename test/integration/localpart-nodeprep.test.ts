/**
 * The localparts the gateway makes of hostile senders, checked by Prosody's own stringprep
 * (util.encodings and util.jid of the installed Prosody 0.12, run with its Lua): every one must be
 * a JID Prosody routes (jid.prep), or the server bounces the message as jid-malformed and the
 * user never sees it. Random code points from every plane, lone surrogates, specials and
 * right-to-left letters, fixed seed.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatSmsAddress } from "../../adapters/sms-kit/sms-address.js";
import { makeTempDir } from "../harness/process.js";
import { SEED, wildUnit } from "../property/arbitraries.js";

const LUA = `
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath
package.path = "/usr/lib/prosody/?.lua;" .. package.path
local jid = require "util.jid"
local bad = 0
for line in io.lines(arg[1]) do
  if jid.prep(line .. "@sms.localhost") == nil then
    bad = bad + 1
    print(line)
  end
end
io.stderr:write("checked\\n")
`;

/** Code points a test of stringprep should visit: every plane, RTL letters, specials. */
const unit: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: wildUnit },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)) },
  { weight: 2, arbitrary: fc.integer({ min: 0x0590, max: 0x08ff }).map((cp) => String.fromCodePoint(cp)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xfb1d, max: 0xfeff }).map((cp) => String.fromCodePoint(cp)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xff00, max: 0xffff }).map((cp) => String.fromCodePoint(cp)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x2000, max: 0x2fff }).map((cp) => String.fromCodePoint(cp)) },
);

describe("localparts of hostile senders pass Prosody's nodeprep", () => {
  it(`every one of 5,000 random senders (seed ${SEED})`, () => {
    const senders = fc.sample(fc.string({ unit, minLength: 1, maxLength: 30 }), {
      seed: SEED,
      numRuns: 5000,
    });
    const localparts = senders.map(formatSmsAddress);
    expect(localparts.every((l) => !l.includes("\n") && l.length > 0)).toBe(true);
    const dir = makeTempDir("nodeprep");
    const file = join(dir, "localparts.txt");
    const script = join(dir, "check.lua");
    writeFileSync(file, `${localparts.join("\n")}\n`);
    writeFileSync(script, LUA);
    const refused = execFileSync("lua5.4", [script, file], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.length > 0);
    const examples = refused.slice(0, 10).map((l) => {
      const i = localparts.indexOf(l);
      return { sender: JSON.stringify(senders[i]), localpart: JSON.stringify(l) };
    });
    expect(examples).toEqual([]);
    // A valid number passes through untouched.
    expect(formatSmsAddress("+15557654321")).toBe("+15557654321");
  });
});
