/** Reading the fields of a submitted command form: a refusal (bad-request) names the bad field. */
import { z } from "zod";
import { Refusal } from "../../core/errors.js";

export const bareJidField = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[^@/\s"&'<>:]+@[a-z0-9.-]+$/, "must be a bare JID, e.g. alice@example.org");

export function parseField<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Refusal("bad-request", `${what}: ${r.error.issues[0]?.message ?? "invalid"}`);
  return r.data;
}
