/**
 * Bring-your-own Twilio accounts (self-service registration): the user gives their number, Account
 * SID and Auth Token; the gateway checks with Twilio that the credentials are valid and that the
 * number is one of the account's IncomingPhoneNumbers before accepting. The same RequestClient
 * (apiBaseUrl rewrite, status-keeping errors) as the adapter's sends.
 */
import twilio from "twilio";
import type { RegistrationSpec, VerifiedAccount } from "../../src/core/adapter.js";
import { AddressError, Refusal } from "../../src/core/errors.js";
import { ProviderHttpError } from "../provider-kit/index.js";
import { type PhoneOptions, toE164 } from "../sms-kit/index.js";
import { GatewayRequestClient } from "./http-client.js";

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;

export interface TwilioRegistrationOptions {
  readonly apiBaseUrl: string;
  readonly requestTimeoutMs: number;
  readonly phone: PhoneOptions;
}

export function twilioRegistration(o: TwilioRegistrationOptions): RegistrationSpec {
  return {
    instructions:
      "Enter your Twilio phone number and the Account SID and Auth Token of the Twilio account that owns it " +
      "(Twilio console, Account info). The gateway checks them with Twilio and sends your messages with them.",
    fields: [
      { name: "number", label: "Your Twilio phone number", kind: "text", description: "e.g. +15550001111" },
      { name: "accountSid", label: "Account SID", kind: "text", description: "AC followed by 32 hex digits" },
      { name: "authToken", label: "Auth Token", kind: "secret" },
    ],
    async verify(values): Promise<VerifiedAccount> {
      const accountSid = values.accountSid ?? "";
      const authToken = values.authToken ?? "";
      if (!ACCOUNT_SID.test(accountSid)) {
        throw new Refusal("bad-request", "The Account SID is AC followed by 32 hexadecimal digits.");
      }
      let number: string;
      try {
        number = toE164(values.number ?? "", o.phone);
      } catch (err) {
        if (err instanceof AddressError) throw new Refusal("bad-request", err.message);
        throw err;
      }
      const httpClient = new GatewayRequestClient(o.apiBaseUrl, {
        timeout: o.requestTimeoutMs,
        autoRetry: false,
      });
      try {
        const client = twilio(accountSid, authToken, {
          httpClient,
          autoRetry: false,
          timeout: o.requestTimeoutMs,
        });
        const owned = await client.api.v2010
          .accounts(accountSid)
          .incomingPhoneNumbers.list({ phoneNumber: number, limit: 20 });
        if (!owned.some((n) => n.phoneNumber === number)) {
          throw new Refusal(
            "item-not-found",
            `${number} is not a phone number of Twilio account ${accountSid}.`,
          );
        }
        return { number, credentials: { accountSid, authToken } };
      } catch (err) {
        throw verificationRefusal(err);
      } finally {
        void httpClient.destroy();
      }
    },
    // The AccountSid: what the status webhook reports as `signedBy`.
    accountOf: (credentials) => credentials.accountSid ?? "",
  };
}

/** The operator's account, fetched with its own credentials: "account AC... (name, status)". */
export async function checkTwilioAccount(
  client: ReturnType<typeof twilio>,
  accountSid: string,
): Promise<string> {
  let account: { friendlyName: string; status: string };
  try {
    account = await client.api.v2010.accounts(accountSid).fetch();
  } catch (err) {
    throw verificationRefusal(err);
  }
  if (account.status !== "active") {
    throw new Refusal("not-authorized", `Twilio account ${accountSid} is ${account.status}, not active.`);
  }
  return `account ${accountSid} ("${account.friendlyName}", ${account.status})`;
}

function verificationRefusal(err: unknown): unknown {
  if (err instanceof Refusal) return err;
  if (err instanceof ProviderHttpError) {
    if (err.status === 401 || err.status === 403 || err.status === 404) {
      return new Refusal(
        "not-authorized",
        `Twilio refused the Account SID and Auth Token (${err.code ?? err.status}: ${err.providerMessage ?? "Authenticate"}).`,
      );
    }
    return new Refusal(
      "remote-server-timeout",
      `Twilio could not check the account right now (HTTP ${err.status}); please try again later.`,
    );
  }
  return new Refusal(
    "remote-server-timeout",
    "Twilio could not be reached to check the account; please try again later.",
  );
}
