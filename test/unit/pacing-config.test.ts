/** The pacing setting: `off` or a pace, checked with clear errors; the pace in force, as check-config says it. */
import { describe, expect, it } from "vitest";
import { pacingLine } from "../../src/cli/check-config.js";
import { type LoadedConfig, parseConfigText } from "../../src/config/load.js";
import { paceOf } from "../../src/core/pipeline/pacing.js";
import { adapterSchemas } from "../../src/main.js";

const text = (o: { adapter?: string; pacing?: string; userPacing?: string } = {}) => `
allowedDomains: [example.org]
gateways:
  - id: sms
    domain: sms.example.org
    secret: s
    adapter: ${o.adapter ?? "twilio"}
    twilio: { accountSid: AC${"0".repeat(32)}, authToken: t }
${o.pacing === undefined ? "" : `    pacing: ${o.pacing}\n`}    users:
      - { jid: alice@example.org, number: "+15550001111" }
      - { jid: bob@example.org, number: "+15550002222"${o.userPacing === undefined ? "" : `, pacing: ${o.userPacing}`} }
`;

function loaded(t: string): LoadedConfig {
  const r = parseConfigText(t, {}, adapterSchemas);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

function problems(t: string): string[] {
  const r = parseConfigText(t, {}, adapterSchemas);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

const gateway = (t: string) => {
  const g = loaded(t).gateways[0];
  if (!g) throw new Error("no gateway");
  return g;
};

describe("pacing config", () => {
  it("takes `off` or a pace, for the gateway and for a user", () => {
    expect(gateway(text({ pacing: "off" })).pacing).toBe("off");
    expect(gateway(text({ pacing: "{ perSecond: 3 }" })).pacing).toEqual({ perSecond: 3, burst: 3 });
    expect(gateway(text({ userPacing: "off" })).users[1]?.pacing).toBe("off");
    expect(gateway(text()).pacing).toBeUndefined();
  });

  it("refuses perSecond 0 saying how to turn pacing off, and other values clearly", () => {
    expect(problems(text({ pacing: "{ perSecond: 0 }" }))).toEqual([
      "gateways[0].pacing.perSecond: must be above 0 (to send unpaced, write `pacing: off`)",
    ]);
    expect(problems(text({ pacing: "slow" }))).toEqual([
      "gateways[0].pacing: must be `off` or a mapping with perSecond (and burst), e.g. { perSecond: 1, burst: 3 }",
    ]);
    expect(problems(text({ pacing: "false" }))).toHaveLength(1);
    expect(problems(text({ userPacing: "{ perSecond: -1 }" }))).toEqual([
      "gateways[0].users[1].pacing.perSecond: must be above 0 (to send unpaced, write `pacing: off`)",
    ]);
    expect(problems(text({ pacing: "{ perSecnd: 1 }" }))).toContain(
      'gateways[0].pacing.perSecnd: unknown option; did you mean "perSecond"?',
    );
  });

  it("says the pace in force and where it comes from (check-config)", () => {
    expect(pacingLine(gateway(text()))).toBe(
      "  gateway sms: pacing 1/s, burst 3 per sender number (twilio default)",
    );
    expect(pacingLine(gateway(text({ pacing: "off", userPacing: "{ perSecond: 30, burst: 30 }" })))).toBe(
      "  gateway sms: pacing off per sender number (configured); +15550002222: 30/s, burst 30",
    );
    expect(pacingLine(gateway(text({ userPacing: "off" })))).toBe(
      "  gateway sms: pacing 1/s, burst 3 per sender number (twilio default); +15550002222: off",
    );
  });

  it("a user's `off` wins over the gateway's pace", () => {
    const pace = { perSecond: 1, burst: 3 };
    const of = paceOf(pace, [{ number: "+1", pacing: "off" }, { number: "+2" }]);
    expect(of("+1")).toBeUndefined();
    expect(of("+2")).toEqual(pace);
  });
});
