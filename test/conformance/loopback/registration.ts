/** Bring-your-own registration: a user proves a loop address is theirs with its mailbox token. */
import type { RegistrationSpec } from "../../../src/core/adapter.js";
import { AddressError, Refusal } from "../../../src/core/errors.js";
import { checkLoopAddress } from "./address.js";
import type { LoopbackConfig } from "./config.js";
import { mailboxSchema } from "./wire.js";

export function loopRegistration(config: LoopbackConfig): RegistrationSpec {
  return {
    instructions: "Enter your loop address and the token of its mailbox.",
    fields: [
      { name: "address", label: "Your loop address", kind: "text", description: "e.g. alice@example.com" },
      { name: "token", label: "Mailbox token", kind: "secret" },
    ],
    async verify(values) {
      let address: string;
      try {
        address = checkLoopAddress(values.address ?? "");
      } catch (err) {
        throw err instanceof AddressError ? new Refusal("bad-request", err.message) : err;
      }
      const res = await fetch(
        `${config.apiUrl.replace(/\/$/, "")}/v1/mailboxes/${encodeURIComponent(address)}`,
        {
          headers: { authorization: `Bearer ${values.token ?? ""}` },
          signal: AbortSignal.timeout(config.requestTimeoutMs),
        },
      ).catch(() => undefined);
      if (res === undefined)
        throw new Refusal("service-unavailable", "The loop network could not be reached; try again later.");
      if (res.status === 401)
        throw new Refusal("not-authorized", "The loop network refused that mailbox token.");
      if (res.status === 404)
        throw new Refusal("item-not-found", `The loop network has no mailbox ${address}.`);
      const mailbox = mailboxSchema.safeParse(await res.json().catch(() => undefined));
      if (!res.ok || !mailbox.success || mailbox.data.address !== address) {
        throw new Refusal(
          "service-unavailable",
          `The loop network answered HTTP ${res.status}; try again later.`,
        );
      }
      // Sends go out on the operator's account: the token only proved the address is the user's.
      return { number: address };
    },
  };
}
