/**
 * `xmpp-gateway credentials re-encrypt`: every stored registration's credentials sealed again
 * with the current key (and plaintext ones of older versions sealed for the first time), so a
 * retired key can then be removed from the config. Walks each gateway's by-jid hash with HSCAN;
 * each record is replaced only if it is still the one read (a Lua check-and-set), so a user
 * registering meanwhile is never overwritten (their new record is read again and re-encrypted).
 */
import type { Redis } from "ioredis";
import { type CredentialCipher, CredentialKeyMissingError } from "./credential-cipher.js";
import { storeKey } from "./keys.js";
import { decodeRegistration, encodeRegistration, type Stored, storedSchema } from "./registrations.js";

export interface ReencryptCounts {
  readonly registrations: number;
  /** Sealed again with the current key (plaintext ones included). */
  readonly reencrypted: number;
  /** Of those, how many were plaintext. */
  readonly plaintext: number;
  readonly alreadyCurrent: number;
  readonly withoutCredentials: number;
  /** Records whose key is not configured, by key id (left as they are). */
  readonly missingKeys: Readonly<Record<string, number>>;
}

// KEYS: by-jid hash. ARGV: jid, the value read, the new value. 1 when replaced.
const REPLACE = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

type Outcome = "reencrypted" | "plaintext" | "alreadyCurrent" | "withoutCredentials" | { missing: string };

export async function reencryptCredentials(
  redis: Redis,
  prefix: string,
  gatewayId: string,
  cipher: CredentialCipher,
  onProgress?: (done: number) => void,
): Promise<ReencryptCounts> {
  const key = storeKey(prefix, "reg", gatewayId, "by-jid");
  const counts = { registrations: 0, reencrypted: 0, plaintext: 0, alreadyCurrent: 0, withoutCredentials: 0 };
  const missingKeys: Record<string, number> = {};
  let cursor = "0";
  do {
    const [next, entries] = await redis.hscan(key, cursor, "COUNT", 200);
    cursor = next;
    for (let i = 0; i + 1 < entries.length; i += 2) {
      const outcome = await reencryptOne(
        redis,
        key,
        gatewayId,
        cipher,
        entries[i] ?? "",
        entries[i + 1] ?? "",
      );
      if (outcome === undefined) continue; // removed meanwhile
      counts.registrations++;
      if (typeof outcome === "object") missingKeys[outcome.missing] = (missingKeys[outcome.missing] ?? 0) + 1;
      else if (outcome === "plaintext") {
        counts.plaintext++;
        counts.reencrypted++;
      } else counts[outcome]++;
      if (counts.registrations % 1000 === 0) onProgress?.(counts.registrations);
    }
  } while (cursor !== "0");
  return { ...counts, missingKeys };
}

async function reencryptOne(
  redis: Redis,
  key: string,
  gatewayId: string,
  cipher: CredentialCipher,
  jid: string,
  first: string,
): Promise<Outcome | undefined> {
  let raw: string | null = first;
  // A record changed between the read and the write is read again (a few times at most).
  for (let attempt = 0; attempt < 5 && raw !== null; attempt++) {
    const stored: Stored = storedSchema.parse(JSON.parse(raw));
    if (!stored.sealed && !stored.credentials) return "withoutCredentials";
    if (stored.sealed?.kid === cipher.currentKey) return "alreadyCurrent";
    let value: string;
    try {
      value = encodeRegistration(cipher, gatewayId, decodeRegistration(cipher, gatewayId, raw));
    } catch (err) {
      if (err instanceof CredentialKeyMissingError) return { missing: err.keyId };
      throw err;
    }
    if ((await redis.eval(REPLACE, 1, key, jid, raw, value)) === 1) {
      return stored.sealed ? "reencrypted" : "plaintext";
    }
    raw = await redis.hget(key, jid);
  }
  if (raw === null) return undefined;
  throw new Error(
    `the registration of ${jid} kept changing while it was re-encrypted; run the command again`,
  );
}
