/**
 * Bring-your-own Telnyx accounts: the user gives her number, an API key and the account's public
 * key; the gateway asks Telnyx (GET /v2/phone_numbers, filtered by the number) whether that key
 * owns the number before anything is stored. Also the operator's `check-config --connect`.
 */
import { z } from "zod";
import type { RegistrationSpec, VerifiedAccount } from "../../src/core/adapter.js";
import { AddressError, Refusal } from "../../src/core/errors.js";
import { ProviderHttpError } from "../provider-kit/index.js";
import { type PhoneOptions, toE164 } from "../sms-kit/index.js";
import type { TelnyxApi } from "./api.js";
import { ed25519PublicKeySchema } from "./config.js";

const phoneNumbersSchema = z.looseObject({
  data: z.array(z.looseObject({ phone_number: z.string() })),
  meta: z.looseObject({ total_results: z.number().optional() }).optional(),
});

/** The numbers of the account `apiKey` belongs to that contain `number`'s digits. */
async function listNumbers(api: TelnyxApi, apiKey: string, query: Record<string, string>) {
  const parsed = phoneNumbersSchema.safeParse(await api.request(apiKey, "GET", "/phone_numbers", { query }));
  if (!parsed.success)
    throw new Refusal("remote-server-timeout", "Telnyx answered the number check with an unexpected body.");
  return parsed.data;
}

export function telnyxRegistration(api: TelnyxApi, phone: PhoneOptions): RegistrationSpec {
  return {
    instructions:
      "Enter your Telnyx phone number, an API key of the Telnyx account that owns it (portal: API Keys) " +
      "and that account's public key (portal: Keys & Credentials, Public Key). The gateway checks them " +
      "with Telnyx and sends your messages with them.",
    fields: [
      { name: "number", label: "Your Telnyx phone number", kind: "text", description: "e.g. +15550001111" },
      { name: "apiKey", label: "API key", kind: "secret" },
      { name: "publicKey", label: "Public key", kind: "text", description: "base64, for webhook signatures" },
    ],
    async verify(values): Promise<VerifiedAccount> {
      const apiKey = (values.apiKey ?? "").trim();
      if (apiKey.length === 0) throw new Refusal("bad-request", "The API key is required.");
      const publicKey = ed25519PublicKeySchema.safeParse(values.publicKey ?? "");
      if (!publicKey.success) {
        throw new Refusal("bad-request", "The public key is the base64 Ed25519 key from the Telnyx portal.");
      }
      let number: string;
      try {
        number = toE164(values.number ?? "", phone);
      } catch (err) {
        if (err instanceof AddressError) throw new Refusal("bad-request", err.message);
        throw err;
      }
      try {
        // Telnyx's filter matches digits (a "+" would match nothing); the exact number is compared here.
        const page = await listNumbers(api, apiKey, {
          "filter[phone_number]": number.replace(/\D/g, ""),
          "page[size]": "20",
        });
        if (!page.data.some((n) => n.phone_number === number)) {
          throw new Refusal("item-not-found", `${number} is not a phone number of this Telnyx account.`);
        }
        return { number, credentials: { apiKey, publicKey: publicKey.data } };
      } catch (err) {
        throw verificationRefusal(err);
      }
    },
    // The public key names the account without being a secret, and is what signs its webhooks.
    accountOf: (credentials) => credentials.publicKey ?? "",
  };
}

/** The operator's key, checked with Telnyx: "API key accepted (N phone numbers)". */
export async function checkTelnyxAccount(api: TelnyxApi, apiKey: string): Promise<string> {
  try {
    const page = await listNumbers(api, apiKey, { "page[size]": "1" });
    const total = page.meta?.total_results ?? page.data.length;
    return `Telnyx API key accepted (${total} phone number${total === 1 ? "" : "s"})`;
  } catch (err) {
    throw verificationRefusal(err);
  }
}

function verificationRefusal(err: unknown): unknown {
  if (err instanceof Refusal) return err;
  if (err instanceof ProviderHttpError) {
    if (err.status === 401 || err.status === 403) {
      return new Refusal(
        "not-authorized",
        `Telnyx refused the API key (${err.code ?? err.status}: ${err.providerMessage ?? "authentication failed"}).`,
      );
    }
    return new Refusal(
      "remote-server-timeout",
      `Telnyx could not check the account right now (HTTP ${err.status}); please try again later.`,
    );
  }
  return new Refusal(
    "remote-server-timeout",
    "Telnyx could not be reached to check the account; please try again later.",
  );
}
