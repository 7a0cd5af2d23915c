import { z } from "zod";
import { bareJid, e164 } from "./fields.js";

/**
 * A user the file binds: a JID and its address on the network. `address` is the name for any
 * network; `number` (the older name, still accepted) says the same. Parsed, the user has `number`.
 */
export const userSchema = z
  .object({
    jid: bareJid.describe("The user's bare JID."),
    address: e164
      .optional()
      .describe("The address (for SMS: the number) this user sends from and receives on."),
    number: e164.optional().describe("The same as address (its older name); give one of the two."),
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
  .transform(({ jid, address, number }) => ({ jid, number: (address ?? number) as string }));
