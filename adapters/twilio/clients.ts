/**
 * The Twilio SDK clients of one gateway: the gateway's own account, and one per self-service
 * account (users who registered their own), the least recently used dropped beyond ACCOUNT_CLIENTS
 * (a client is cheap to make again). All share one HTTP client; the SDK's autoRetry stays off: the
 * queue retries, honouring Retry-After, which the SDK would ignore.
 */
import { LRUCache } from "lru-cache";
import twilio from "twilio";
import type { Account } from "../../src/core/adapter.js";
import type { TwilioConfig } from "./config.js";
import { GatewayRequestClient } from "./http-client.js";

/** Twilio clients of self-service accounts kept in memory at once. */
export const ACCOUNT_CLIENTS = 1_000;

export type TwilioClient = ReturnType<typeof twilio>;

export interface TwilioClients {
  readonly httpClient: GatewayRequestClient;
  /** The gateway's own account. */
  readonly main: TwilioClient;
  /** The account's own client when it has credentials, else the gateway's. */
  clientFor(account: Account): TwilioClient;
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
  const accountClients = new LRUCache<string, TwilioClient>({ max: ACCOUNT_CLIENTS });
  return {
    httpClient,
    main,
    clientFor(account) {
      const sid = account.credentials?.accountSid;
      const token = account.credentials?.authToken;
      if (sid === undefined || token === undefined) return main;
      const key = `${sid}:${token}`;
      let own = accountClients.get(key);
      if (!own) {
        own = twilio(sid, token, { httpClient, autoRetry: false, timeout: config.requestTimeoutMs });
        accountClients.set(key, own);
      }
      return own;
    },
  };
}
