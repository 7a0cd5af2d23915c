/** Config users: `address:` (any network) and `number:` (its older name, public contract) both work. */
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.js";
import { adapterSchemas } from "../../src/main.js";

const config = (user: string) => `
allowedDomains: [example.org]
gateways:
  - id: sms
    domain: sms.example.org
    secret: s3cret-for-tests
    adapter: simulator
    users:
      - ${user}
`;

function users(user: string) {
  const result = parseConfigText(config(user), {}, adapterSchemas);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config.gateways[0]?.users;
}

function problems(user: string) {
  const result = parseConfigText(config(user), {}, adapterSchemas);
  if (result.ok) throw new Error("expected problems");
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe("config users", () => {
  it.each([
    '{ jid: alice@example.org, address: "+15550001111" }',
    '{ jid: alice@example.org, number: "+15550001111" }',
    '{ jid: alice@example.org, address: "+15550001111", number: "+15550001111" }',
  ])("bind the same address written as %s", (user) => {
    expect(users(user)).toEqual([{ jid: "alice@example.org", number: "+15550001111" }]);
  });

  it("refuse address and number that differ, saying both", () => {
    const p = problems('{ jid: alice@example.org, address: "+15550001111", number: "+15550002222" }');
    expect(p).toEqual([
      "gateways[0].users[0].address: and number say different things (+15550001111 and +15550002222): give one of them",
    ]);
  });

  it("refuse a user with neither", () => {
    expect(problems("{ jid: alice@example.org }")).toEqual(["gateways[0].users[0].address: is required"]);
  });

  it("check an address as they check a number", () => {
    expect(problems('{ jid: alice@example.org, address: "5550001111" }')[0]).toMatch(
      /^gateways\[0\]\.users\[0\]\.address: must be an E\.164 number/,
    );
  });
});
