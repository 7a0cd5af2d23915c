import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseConfigText } from "../../src/config/load.js";
import { adapterSchemas } from "../../src/main.js";

const gateway = (extra: Record<string, unknown>) =>
  stringify({
    allowedDomains: ["example.org"],
    gateways: [{ id: "sms", domain: "sms.example.org", secret: "s", adapter: "simulator", ...extra }],
  });

describe("limits and destinations config", () => {
  it("fills in the documented defaults", () => {
    const result = parseConfigText(gateway({}), {}, adapterSchemas);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const g = result.config.gateways[0];
    expect(g?.limits).toEqual({
      maxBodyLength: 4800,
      maxParts: 3,
      maxSegments: 40,
      perUser: {
        messagesPerMinute: 60,
        messagesBurst: 30,
        messagesPerDay: 1000,
        segmentsPerMinute: 200,
        segmentsBurst: 100,
        segmentsPerDay: 3000,
      },
      users: [],
    });
    expect(g?.destinations).toEqual({
      allowedCountries: [],
      allowedTypes: [],
      refusedTypes: ["premium-rate", "shared-cost", "satellite", "international-network"],
    });
    expect(g?.registration).toMatchObject({ checksPerWindow: 5, checkWindowSeconds: 600 });
  });

  it("takes per-user overrides by bare JID, keeping unset fields at the default", () => {
    const result = parseConfigText(
      gateway({ limits: { users: [{ jid: "vip@example.org", messagesPerDay: 5000 }] } }),
      {},
      adapterSchemas,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.gateways[0]?.limits.users).toEqual([
      { jid: "vip@example.org", messagesPerDay: 5000 },
    ]);
  });

  it("refuses limits under which the longest message could never be sent, twice-listed users and odd values", () => {
    const result = parseConfigText(
      gateway({
        limits: {
          maxSegments: 50,
          perUser: { segmentsBurst: 40 },
          users: [
            { jid: "a@example.org", segmentsPerDay: 10 },
            { jid: "a@example.org" },
            { jid: "not a jid", messagesPerDay: 0 },
          ],
        },
        destinations: { allowedCountries: ["usa"], refusedTypes: ["expensive"] },
      }),
      {},
      adapterSchemas,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "gateways[0].limits.perUser.segmentsBurst",
        "gateways[0].limits.users[0].segmentsPerDay",
        "gateways[0].limits.users[1].jid",
        "gateways[0].limits.users[2].jid",
        "gateways[0].limits.users[2].messagesPerDay",
        "gateways[0].destinations.allowedCountries[0]",
        "gateways[0].destinations.refusedTypes[0]",
      ]),
    );
    expect(paths).toHaveLength(7);
    expect(
      result.problems.find((p) => p.path === "gateways[0].limits.perUser.segmentsBurst")?.message,
    ).toMatch(/at least maxSegments \(50\)/);
  });
});
