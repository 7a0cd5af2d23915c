/**
 * What a Twilio gateway sends with: one HTTP client for every account (the gateway's own and
 * those of self-service users, who registered their own SID and token), the SDK client of the
 * gateway's account for the account check, and the credentials of each send. Sends go out as
 * plain form POSTs (send.ts), so no SDK client is made per account. The SDK's autoRetry stays
 * off: the queue retries, honouring Retry-After, which the SDK would ignore.
 */
import twilio from "twilio";
import type { Account } from "../../src/core/adapter.js";
import type { TwilioConfig } from "./config.js";
import { GatewayRequestClient } from "./http-client.js";

export type TwilioClient = ReturnType<typeof twilio>;

export interface TwilioClients {
  readonly httpClient: GatewayRequestClient;
  /** The gateway's own account. */
  readonly main: TwilioClient;
  /** The account's own SID and token when it has them, else the gateway's. */
  credentialsFor(account: Account): { readonly username: string; readonly password: string };
}

export function twilioClients(config: TwilioConfig): TwilioClients {
  const httpClient = new GatewayRequestClient(config.apiBaseUrl, {
    timeout: config.requestTimeoutMs,
    autoRetry: false,
  });
  const main = twilio(config.accountSid, config.authToken, {
    httpClient,
    autoRetry: false,
    timeout: config.requestTimeoutMs,
  });
  return {
    httpClient,
    main,
    credentialsFor(account) {
      const sid = account.credentials?.accountSid;
      const token = account.credentials?.authToken;
      return sid === undefined || token === undefined
        ? { username: config.accountSid, password: config.authToken }
        : { username: sid, password: token };
    },
  };
}
