import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseConfigText } from "../../../src/config/load.js";
import { adapterSchemas } from "../../../src/main.js";

const base = (extra: Record<string, unknown>, gateway: Record<string, unknown> = {}) =>
  stringify({
    allowedDomains: ["example.org"],
    gateways: [{ id: "sms", domain: "sms.example.org", secret: "s", adapter: "simulator", ...gateway }],
    ...extra,
  });

describe("registration and admin options", () => {
  it("default to provisioned registration and no admins", () => {
    const r = parseConfigText(base({}), {}, adapterSchemas);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.admins).toEqual([]);
    expect(r.config.gateways[0]?.registration.mode).toBe("provisioned");
  });

  it("take self-service and a list of admin JIDs", () => {
    const r = parseConfigText(
      base(
        {
          admins: ["root@example.org"],
          credentials: { keys: { k1: Buffer.alloc(32, 1).toString("base64") }, currentKey: "k1" },
        },
        { registration: { mode: "self-service" } },
      ),
      {},
      adapterSchemas,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.admins).toEqual(["root@example.org"]);
    expect(r.config.gateways[0]?.registration.mode).toBe("self-service");
  });

  it("name a bad mode and a bad admin JID by path", () => {
    const r = parseConfigText(
      base({ admins: ["root@example.org/desk"] }, { registration: { mode: "open" } }),
      {},
      adapterSchemas,
    );
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["admins[0]", "gateways[0].registration.mode"]));
  });
});
