import { z } from "zod";
import { bareJid } from "./fields.js";
import { pacingSchema } from "./pacing-schema.js";

/** Longest address a config user may give (an email address is at most 320 characters). */
export const MAX_ADDRESS_LENGTH = 320;

/**
 * Only the shape here: what a valid address is depends on the network, so each adapter kind's
 * registered check (src/core/address-checks.ts) judges it in the config's cross-checks.
 */
const address = z.string().min(1, "must not be empty").max(MAX_ADDRESS_LENGTH);

/** Which key a parsed user's address was written under, for problems to point at it. */
const writtenAs = new WeakMap<object, "address" | "number">();

/**
 * A config user's address and the key (`address` or `number`) it was written under. The config's
 * cross-checks also see users whose own checks failed (not transformed, still as written).
 */
export function addressOf(user: object): { key: "address" | "number"; value: unknown } {
  const written = user as { address?: unknown; number?: unknown };
  const key =
    writtenAs.get(user) ??
    (written.address === undefined && written.number !== undefined ? "number" : "address");
  return { key, value: written.address ?? written.number };
}

/**
 * A user the file binds: a JID and its address on the network. `address` is the name for any
 * network; `number` (the older name, still accepted) says the same. Parsed, the user has `address`.
 */
export const userSchema = z
  .object({
    jid: bareJid.describe("The user's bare JID."),
    address: address
      .optional()
      .describe("The address (for SMS: the number) this user sends from and receives on."),
    number: address.optional().describe("The same as address (its older name); give one of the two."),
    pacing: pacingSchema
      .optional()
      .describe("This user's number's own pace (instead of the gateway's), or `off`."),
    name: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(200)
      .optional()
      .describe(
        "The user's display name on networks that show one (an email's From name); unset: the nick in the user's message, if any.",
      ),
  })
  .strict()
  .check((ctx) => {
    const { address, number } = ctx.value;
    if (address === undefined && number === undefined) {
      ctx.issues.push({ code: "custom", input: ctx.value, path: ["address"], message: "is required" });
    } else if (address !== undefined && number !== undefined && address !== number) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: ["address"],
        message: `and number say different things (${address} and ${number}): give one of them`,
      });
    }
  })
  .transform(({ jid, address, number, pacing, name }) => {
    const user = {
      jid,
      address: (address ?? number) as string,
      ...(pacing === undefined ? {} : { pacing }),
      ...(name === undefined ? {} : { name }),
    };
    writtenAs.set(user, address === undefined ? "number" : "address");
    return user;
  });
