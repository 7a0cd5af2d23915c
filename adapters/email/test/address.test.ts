import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressError } from "../../../src/core/errors.js";
import { unescapeLocalpart } from "../../../src/core/localpart.js";
import { SEED } from "../../../test/property/arbitraries.js";
import { canonicalEmail, configAddressProblem, formatEmailAddress, parseEmailLocalpart } from "../address.js";

describe("email addresses as JID localparts", () => {
  it("reads XEP-0106 escaped localparts", () => {
    expect(parseEmailLocalpart("bob\\40example.com")).toBe("bob@example.com");
    expect(parseEmailLocalpart("o\\27neil\\40example.co.uk")).toBe("o'neil@example.co.uk");
  });

  it("accepts the old percent form and a typed address, and lowercases", () => {
    expect(parseEmailLocalpart("bob%example.com")).toBe("bob@example.com");
    expect(parseEmailLocalpart("a%b%example.com")).toBe("a%b@example.com");
    expect(parseEmailLocalpart(" Bob@Example.COM ")).toBe("bob@example.com");
  });

  it("always emits \\40", () => {
    expect(formatEmailAddress("bob@example.com")).toBe("bob\\40example.com");
    expect(formatEmailAddress("a%b@example.com")).toBe("a%b\\40example.com");
  });

  it.each([
    "bob",
    "bob\\40",
    "bob\\40localhost",
    "@example.com",
    "bob@@example.com",
    "a b\\40example.com",
    "",
  ])("refuses %j with jid-malformed naming what was typed", (typed) => {
    let caught: unknown;
    try {
      parseEmailLocalpart(typed);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AddressError);
    expect((caught as AddressError).condition).toBe("jid-malformed");
    expect((caught as AddressError).message).toContain(`"${typed}"`);
  });

  it("checks config users' addresses", () => {
    expect(configAddressProblem("alice@mail.example.org")).toBeUndefined();
    expect(configAddressProblem("+15550001111")).toMatch(/not an email address/);
    expect(configAddressProblem("Alice@mail.example.org")).toMatch(/lower case: alice@mail.example.org/);
  });

  it("round-trips every address it accepts (property)", () => {
    const local = fc.stringMatching(/^[a-z0-9][a-z0-9.!#$&'*+/=?^_`{|}~-]{0,20}[a-z0-9]$/);
    const domain = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]\.(com|org|de|co\.uk)$/);
    fc.assert(
      fc.property(local, domain, (l, d) => {
        const address = canonicalEmail(`${l}@${d}`);
        fc.pre(address !== undefined);
        const localpart = formatEmailAddress(address as string);
        expect(localpart).not.toMatch(/[@'/ ]/);
        expect(unescapeLocalpart(localpart)).toBe(address);
        expect(parseEmailLocalpart(localpart)).toBe(address);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
