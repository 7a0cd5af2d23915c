/**
 * Checks across options, run once the shapes are right: duplicate gateway ids and domains,
 * users bound twice, users outside allowedDomains, and user addresses the gateway would refuse
 * (each adapter kind's registered check, src/core/address-checks.ts, says which).
 */
import type { z } from "zod";
import { addressCheckOf } from "../core/address-checks.js";
import { addressOf } from "./users-schema.js";

const BARE_JID = /^[^@/\s"&'<>:]+@[a-z0-9.-]+$/;

interface Shape {
  readonly allowedDomains: readonly string[];
  readonly gateways: readonly {
    readonly id: string;
    readonly domain: string;
    readonly adapter: string;
    readonly numberCheck: "possible" | "valid";
    readonly users: readonly { readonly jid: string; readonly address: string }[];
  }[];
}

export function crossChecks(cfg: Shape, ctx: z.RefinementCtx): void {
  // zod runs this even when some fields failed their own checks: look only at sound ones.
  if (!Array.isArray(cfg.gateways as unknown) || !Array.isArray(cfg.allowedDomains as unknown)) return;
  const seen = { id: new Map<string, number>(), domain: new Map<string, number>() };
  cfg.gateways.forEach((g, i) => {
    for (const key of ["id", "domain"] as const) {
      const first = seen[key].get(g[key]);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, key],
          message: `duplicate ${key} "${g[key]}" (also gateways.${first}.${key})`,
        });
      } else seen[key].set(g[key], i);
    }
    const jids = new Map<string, number>();
    const addresses = new Map<string, number>();
    if (!Array.isArray(g.users as unknown)) return;
    g.users.forEach((u, j) => {
      const domain = BARE_JID.test(u.jid) ? u.jid.slice(u.jid.indexOf("@") + 1) : undefined;
      if (domain !== undefined && !cfg.allowedDomains.includes(domain))
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, "users", j, "jid"],
          message: `${domain} is not in allowedDomains (${cfg.allowedDomains.join(", ")}): this user could never send`,
        });
      const { key, value: address } = addressOf(u);
      const addressProblem =
        typeof address === "string" ? addressCheckOf(g.adapter)?.(address, g) : undefined;
      if (addressProblem)
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, "users", j, key],
          message: addressProblem,
        });
      const dupJid = jids.get(u.jid);
      if (dupJid !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, "users", j, "jid"],
          message: `${u.jid} is bound twice (also users.${dupJid})`,
        });
      else jids.set(u.jid, j);
      const dupAddress = typeof address === "string" ? addresses.get(address) : undefined;
      if (dupAddress !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, "users", j, key],
          message: `${String(address)} belongs to one user only (also users.${dupAddress})`,
        });
      else if (typeof address === "string") addresses.set(address, j);
    });
  });
}
