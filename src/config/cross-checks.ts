/**
 * Checks across options, run once the shapes are right: duplicate gateway ids and domains,
 * users bound twice, users outside allowedDomains, and user numbers the gateway would refuse.
 */
import type { z } from "zod";
import { addressCheckOf } from "../core/address-checks.js";

const BARE_JID = /^[^@/\s"&'<>:]+@[a-z0-9.-]+$/;
const E164 = /^\+[1-9]\d{1,14}$/;

interface Shape {
  readonly allowedDomains: readonly string[];
  readonly gateways: readonly {
    readonly id: string;
    readonly domain: string;
    readonly adapter: string;
    readonly numberCheck: "possible" | "valid";
    readonly users: readonly { readonly jid: string; readonly number: string }[];
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
    const numbers = new Map<string, number>();
    if (!Array.isArray(g.users as unknown)) return;
    g.users.forEach((u, j) => {
      const domain = BARE_JID.test(u.jid) ? u.jid.slice(u.jid.indexOf("@") + 1) : undefined;
      if (domain !== undefined && !cfg.allowedDomains.includes(domain))
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, "users", j, "jid"],
          message: `${domain} is not in allowedDomains (${cfg.allowedDomains.join(", ")}): this user could never send`,
        });
      const check = addressCheckOf(g.adapter);
      const numberProblem = E164.test(u.number) ? check?.(u.number, g) : undefined;
      if (numberProblem)
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, "users", j, "number"],
          message: numberProblem,
        });
      const dupJid = jids.get(u.jid);
      if (dupJid !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, "users", j, "jid"],
          message: `${u.jid} is bound twice (also users.${dupJid})`,
        });
      else jids.set(u.jid, j);
      const dupNum = numbers.get(u.number);
      if (dupNum !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["gateways", i, "users", j, "number"],
          message: `${u.number} belongs to one user only (also users.${dupNum})`,
        });
      else numbers.set(u.number, j);
    });
  });
}
