/**
 * Provider message id -> the stanza it came from, for delivery reports (XEP-0184 receipts and
 * error stanzas). Records expire after a TTL; a message split into parts maps every part's id to
 * the same record and is reported delivered once every part is.
 *
 * The worker writes a record and takes an early report in the part ledger's script
 * (sent-parts.ts), with this file's keys and encoding (`recordEntry`, `earlyKeyOf`, `readEarly`).
 */
import type { Redis } from "ioredis";
import { type SentRecord, sentRecordSchema } from "../core/pipeline/records.js";
import type { MessageLog } from "../core/ports.js";
import { storeKey } from "./keys.js";

export type { SentRecord } from "../core/pipeline/records.js";

// KEYS: the report's key, the signer's counter. ARGV: report, ttl seconds, max per window.
const HOLD_CAPPED = `
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
if n > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
`;

function parseJson(raw: unknown): unknown {
  if (typeof raw !== "string") return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The record as stored: its schema's fields and no others (the schema is strict on read), built
 * field by field rather than parsed, since the pipeline built it typed (parsing every part's
 * record on the way in was a zod run per message for nothing).
 */
function storedRecord(r: SentRecord, sentAt: number): SentRecord {
  return {
    jobId: r.jobId,
    senderJid: r.senderJid,
    stanzaId: r.stanzaId,
    contactLocalpart: r.contactLocalpart,
    contactResource: r.contactResource,
    receipt: r.receipt,
    parts: r.parts,
    account: r.account,
    sentAt,
  };
}

export class MessageMap implements MessageLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * The key, value and life of the record for `providerMessageId`, for the part ledger's script
   * that writes it along with the part's id (sent-parts.ts); `get` reads it back.
   */
  recordEntry(
    gatewayId: string,
    providerMessageId: string,
    record: SentRecord,
  ): { readonly key: string; readonly value: string; readonly ttlSeconds: number } {
    const value = JSON.stringify(storedRecord(record, Date.now()));
    return { key: this.key(gatewayId, providerMessageId), value, ttlSeconds: this.ttlSeconds };
  }

  /** The record, or undefined when unknown, expired or unreadable. */
  async get(gatewayId: string, providerMessageId: string): Promise<SentRecord | undefined> {
    const raw = await this.redis.get(this.key(gatewayId, providerMessageId));
    if (raw === null) return undefined;
    try {
      const parsed = sentRecordSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Notes one part as delivered; returns how many distinct parts of the job are delivered. */
  async markDelivered(gatewayId: string, jobId: string, providerMessageId: string): Promise<number> {
    const key = storeKey(this.prefix, "delivered", gatewayId, jobId);
    const [, , count] = (await this.redis
      .multi()
      .sadd(key, providerMessageId)
      .expire(key, this.ttlSeconds)
      .scard(key)
      .exec()) ?? [null, null, [null, 0]];
    const n = count?.[1];
    return typeof n === "number" ? n : 0;
  }

  /**
   * Keeps a delivery report that arrived before its message was recorded (a fast failure can beat
   * the worker's write); `takeEarly` hands it over once, to whichever side gets there first.
   * The value is stored as given; the caller validates it on the way out. Reports are held per
   * signer (`signer`: the self-service account that signed it; undefined for the gateway's own),
   * and only the signer the message was sent with is taken: another account's report for the
   * same id neither replaces nor is handed over, it expires. A self-service signer holds at most
   * `max` reports per `ttlSeconds` window (a counter with the same life); returns false when
   * this one was not held.
   */
  async holdEarly(
    gatewayId: string,
    providerMessageId: string,
    report: object,
    ttlSeconds: number,
    limit?: { readonly signer: string; readonly max: number },
  ): Promise<boolean> {
    const key = this.earlyKey(gatewayId, providerMessageId, limit?.signer);
    const value = JSON.stringify(report);
    if (!limit) {
      await this.redis.set(key, value, "EX", ttlSeconds);
      return true;
    }
    const counter = storeKey(this.prefix, "early-count", gatewayId, limit.signer);
    return (await this.redis.eval(HOLD_CAPPED, 2, key, counter, value, ttlSeconds, limit.max)) === 1;
  }

  /** The report `signer` holds for the id (see holdEarly), once. */
  async takeEarly(gatewayId: string, providerMessageId: string, signer?: string): Promise<unknown> {
    return parseJson(await this.redis.getdel(this.earlyKey(gatewayId, providerMessageId, signer)));
  }

  /** The key of the report `signer` holds for the id (see holdEarly), for a script that takes it. */
  earlyKeyOf(gatewayId: string, providerMessageId: string, signer?: string): string {
    return this.earlyKey(gatewayId, providerMessageId, signer);
  }

  /** A held report's value (null when none) as `takeEarly` hands it over. */
  readEarly(raw: unknown): unknown {
    return parseJson(raw);
  }

  private earlyKey(gatewayId: string, providerMessageId: string, signer: string | undefined): string {
    const key = storeKey(this.prefix, "early-report", gatewayId, providerMessageId);
    return signer === undefined ? key : `${key}:${signer}`;
  }

  private key(gatewayId: string, providerMessageId: string): string {
    return storeKey(this.prefix, "msgmap", gatewayId, providerMessageId);
  }
}
