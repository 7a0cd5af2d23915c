/**
 * Registrations (jid <-> address per gateway) in Redis: two hashes kept consistent by a Lua script,
 * each value checked with zod on the way in and out. Provider credentials (self-service) are
 * stored encrypted (`sealed`, see credential-cipher.ts); callers see them decrypted as before.
 * Records of older versions may hold them in plaintext (`credentials`): still read, and
 * encrypted by `xmpp-gateway credentials re-encrypt` (reencrypt.ts). Records of versions before
 * registrations said `address` name it `number`: read as `address` (the Lua scripts read either).
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import {
  AddressTakenError,
  type Registration,
  type RegistrationStore,
  registrationSchema,
} from "../core/registrations.js";
import { type CredentialCipher, sealedSchema } from "./credential-cipher.js";
import { storeKey } from "./keys.js";

/** An older record's `number` read as `address` (a record with `address` is left as it is). */
function withAddress(value: unknown): unknown {
  if (typeof value !== "object" || value === null || "address" in value || !("number" in value)) return value;
  const { number, ...rest } = value as Record<string, unknown>;
  return { ...rest, address: number };
}

/** A by-jid hash value: the registration with its credentials sealed (or, from old versions, plain). */
export const storedSchema = z.preprocess(
  withAddress,
  registrationSchema.extend({ sealed: sealedSchema.optional() }).strict(),
);
export type Stored = z.infer<typeof storedSchema>;

/** What a sealed record is bound to (its additional authenticated data). */
export function sealingContext(gatewayId: string, jid: string): string {
  return `${gatewayId}\n${jid}`;
}

/** The hash value for `registration`, its credentials sealed with the current key. */
export function encodeRegistration(
  cipher: CredentialCipher | undefined,
  gatewayId: string,
  registration: Registration,
): string {
  const { credentials, ...rest } = registrationSchema.parse(registration);
  if (!credentials) return JSON.stringify(rest);
  if (!cipher) {
    throw new Error(
      "provider credentials are stored encrypted: configure credentials.keys and credentials.currentKey",
    );
  }
  const stored: Stored = { ...rest, sealed: cipher.seal(credentials, sealingContext(gatewayId, rest.jid)) };
  return JSON.stringify(stored);
}

/** The registration a hash value holds, credentials decrypted (throws CredentialKeyMissingError). */
export function decodeRegistration(
  cipher: CredentialCipher | undefined,
  gatewayId: string,
  raw: string,
): Registration {
  const { sealed, ...rest } = storedSchema.parse(JSON.parse(raw));
  if (!sealed) return rest;
  if (!cipher) {
    throw new Error(
      `stored credentials of ${rest.jid} are encrypted (key "${sealed.kid}"): configure credentials.keys and credentials.currentKey`,
    );
  }
  return { ...rest, credentials: cipher.open(sealed, sealingContext(gatewayId, rest.jid)) };
}

// KEYS: byJid, byAddress. ARGV: jid, address, json. Returns the other owner's jid, or "" when bound.
// A stored record names its address `address`, or `number` if an older version wrote it.
const PUT = `
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner and owner ~= ARGV[1] then return owner end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local rec = cjson.decode(old)
  local oldAddress = rec['address'] or rec['number']
  if oldAddress ~= ARGV[2] then redis.call('HDEL', KEYS[2], oldAddress) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return ''
`;

// KEYS: byJid, byAddress. ARGV: jid. Returns 1 when a binding was removed.
const REMOVE = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local rec = cjson.decode(old)
redis.call('HDEL', KEYS[2], rec['address'] or rec['number'])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;

export class RedisRegistrationStore implements RegistrationStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher?: CredentialCipher,
  ) {}

  private keys(gatewayId: string): [string, string] {
    return [
      storeKey(this.prefix, "reg", gatewayId, "by-jid"),
      // The key's name predates `address`: kept, so data written by older versions is found.
      storeKey(this.prefix, "reg", gatewayId, "by-number"),
    ];
  }

  async byJid(gatewayId: string, jid: string): Promise<Registration | undefined> {
    const raw = await this.redis.hget(this.keys(gatewayId)[0], jid);
    return raw === null ? undefined : this.decode(gatewayId, raw);
  }

  async byAddress(gatewayId: string, address: string): Promise<Registration | undefined> {
    const [byJid, byAddress] = this.keys(gatewayId);
    const jid = await this.redis.hget(byAddress, address);
    if (jid === null) return undefined;
    const raw = await this.redis.hget(byJid, jid);
    return raw === null ? undefined : this.decode(gatewayId, raw);
  }

  async put(gatewayId: string, registration: Registration): Promise<void> {
    const encoded = encodeRegistration(this.cipher, gatewayId, registration);
    const [byJid, byAddress] = this.keys(gatewayId);
    const { jid, address } = registration;
    const owner = (await this.redis.eval(PUT, 2, byJid, byAddress, jid, address, encoded)) as string | null;
    if (owner) throw new AddressTakenError(address, owner);
  }

  async remove(gatewayId: string, jid: string): Promise<boolean> {
    const [byJid, byAddress] = this.keys(gatewayId);
    return (await this.redis.eval(REMOVE, 2, byJid, byAddress, jid)) === 1;
  }

  async list(gatewayId: string): Promise<Registration[]> {
    const all = await this.redis.hvals(this.keys(gatewayId)[0]);
    return all.map((raw) => this.decode(gatewayId, raw));
  }

  private decode(gatewayId: string, raw: string): Registration {
    return decodeRegistration(this.cipher, gatewayId, raw);
  }
}
