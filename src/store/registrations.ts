/**
 * Registrations (jid <-> number per gateway) in Redis: two hashes kept consistent by a Lua script,
 * each value checked with zod on the way in and out.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { NumberTakenError, type Registration, type RegistrationStore } from "../core/registrations.js";
import { storeKey } from "./keys.js";

const registrationSchema = z
  .object({
    jid: z.string().min(3),
    number: z.string().min(1),
    source: z.enum(["config", "admin", "self-service"]),
    credentials: z.record(z.string(), z.string()).optional(),
  })
  .strict();

// KEYS: byJid, byNumber. ARGV: jid, number, json. Returns the other owner's jid, or "" when bound.
const PUT = `
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner and owner ~= ARGV[1] then return owner end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local oldNumber = cjson.decode(old)['number']
  if oldNumber ~= ARGV[2] then redis.call('HDEL', KEYS[2], oldNumber) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return ''
`;

// KEYS: byJid, byNumber. ARGV: jid. Returns 1 when a binding was removed.
const REMOVE = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
redis.call('HDEL', KEYS[2], cjson.decode(old)['number'])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;

export class RedisRegistrationStore implements RegistrationStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(gatewayId: string): [string, string] {
    return [
      storeKey(this.prefix, "reg", gatewayId, "by-jid"),
      storeKey(this.prefix, "reg", gatewayId, "by-number"),
    ];
  }

  async byJid(gatewayId: string, jid: string): Promise<Registration | undefined> {
    const raw = await this.redis.hget(this.keys(gatewayId)[0], jid);
    return raw === null ? undefined : decode(raw);
  }

  async byNumber(gatewayId: string, number: string): Promise<Registration | undefined> {
    const [byJid, byNumber] = this.keys(gatewayId);
    const jid = await this.redis.hget(byNumber, number);
    if (jid === null) return undefined;
    const raw = await this.redis.hget(byJid, jid);
    return raw === null ? undefined : decode(raw);
  }

  async put(gatewayId: string, registration: Registration): Promise<void> {
    const value = registrationSchema.parse(registration);
    const [byJid, byNumber] = this.keys(gatewayId);
    const owner = (await this.redis.eval(
      PUT,
      2,
      byJid,
      byNumber,
      value.jid,
      value.number,
      JSON.stringify(value),
    )) as string | null;
    if (owner) throw new NumberTakenError(value.number, owner);
  }

  async remove(gatewayId: string, jid: string): Promise<boolean> {
    const [byJid, byNumber] = this.keys(gatewayId);
    return (await this.redis.eval(REMOVE, 2, byJid, byNumber, jid)) === 1;
  }

  async list(gatewayId: string): Promise<Registration[]> {
    const all = await this.redis.hvals(this.keys(gatewayId)[0]);
    return all.map(decode);
  }
}

function decode(raw: string): Registration {
  return registrationSchema.parse(JSON.parse(raw));
}
