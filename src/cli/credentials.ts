/**
 * `xmpp-gateway credentials re-encrypt --config FILE`: seals every stored provider credential
 * again with `credentials.currentKey` and prints what it did per gateway (progress on stderr
 * every 1,000 records). Exit 1 when some records use a key that is not configured (named by id).
 */
import { Redis } from "ioredis";
import type { LoadedConfig } from "../config/load.js";
import { cipherFromConfig } from "../store/credential-cipher.js";
import { reencryptCredentials } from "../store/reencrypt.js";

export interface Output {
  write(text: string): unknown;
}

/** Runs the command; resolves with the exit code. */
export async function reencryptCommand(config: LoadedConfig, out: Output, err: Output): Promise<number> {
  const cipher = cipherFromConfig(config.credentials);
  if (!cipher) {
    err.write(
      "credentials.currentKey is not set: configure credentials.keys and credentials.currentKey first\n",
    );
    return 78;
  }
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 3, connectionName: "xgw-cli" });
  redis.on("error", () => undefined); // a failed command says why
  let code = 0;
  try {
    for (const { id } of config.gateways) {
      const c = await reencryptCredentials(redis, config.redis.prefix, id, cipher, (done) =>
        err.write(`gateway ${id}: ${done} registration(s) done\n`),
      );
      out.write(
        `gateway ${id}: ${c.registrations} registration(s): ${c.reencrypted} re-encrypted with key "${cipher.currentKey}" (${c.plaintext} was plaintext), ${c.alreadyCurrent} already current, ${c.withoutCredentials} without credentials\n`,
      );
      for (const [keyId, n] of Object.entries(c.missingKeys)) {
        err.write(
          `${n} registration(s) of gateway ${id} are encrypted with key "${keyId}", which is not configured (credentials.keys): add it back and run this again\n`,
        );
        code = 1;
      }
    }
  } finally {
    redis.disconnect();
  }
  return code;
}
