/**
 * One XMPP service per (Redis prefix, gateway id). Two gateways sharing both (two demos on one
 * machine, a copied config) would take each other's jobs and deliver messages to the wrong XMPP
 * server, so the component role holds a lock naming its XMPP service and domain:
 *
 *   key   {prefix}:component-lock:<gatewayId>, with a TTL refreshed while the role runs
 *   value JSON { service, domain, host, pid, since }: who refreshed it last
 *
 * A component for the same service and domain may take it too: a Prosody standby, or ejabberd
 * active-active (DESIGN.md 7b). One for another service or domain is refused while the lock
 * lives. Check and set happen in one Lua script, so two starting at once cannot both pass.
 */
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { z } from "zod";
import { EXIT, StartupError } from "../core/startup-error.js";
import { storeKey } from "./keys.js";

const holderSchema = z.object({
  service: z.string(),
  domain: z.string(),
  host: z.string(),
  pid: z.number(),
  since: z.number(),
});
export type LockHolder = z.infer<typeof holderSchema>;

/** KEYS[1] the lock; ARGV service, domain, value, ttl. Returns nil when taken, else the holder. */
const TAKE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, d = pcall(cjson.decode, cur)
  if ok and type(d) == 'table' and (d.service ~= ARGV[1] or d.domain ~= ARGV[2]) then return cur end
end
redis.call('SET', KEYS[1], ARGV[3], 'EX', tonumber(ARGV[4]))
return false
`;

/** Deletes the lock only if this process refreshed it last (another standby keeps it alive). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class ComponentLockConflict extends Error {
  override readonly name = "ComponentLockConflict";
  constructor(
    readonly gatewayId: string,
    readonly holder: LockHolder | undefined,
    readonly ttlSeconds: number,
  ) {
    super(`gateway id ${gatewayId} is held by another XMPP service`);
  }
}

export class ComponentLock {
  private readonly key: string;
  private readonly value: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly gatewayId: string,
    private readonly who: { service: string; domain: string },
    private readonly ttlSeconds = 30,
  ) {
    this.key = storeKey(prefix, "component-lock", gatewayId);
    const holder: LockHolder = { ...who, host: hostname(), pid: process.pid, since: Date.now() };
    this.value = JSON.stringify(holder);
  }

  /** Takes the lock or throws ComponentLockConflict naming the holder; then keeps it refreshed. */
  async acquire(onLost: (conflict: ComponentLockConflict) => void): Promise<void> {
    await this.take();
    this.timer = setInterval(
      () => {
        this.take().catch((err: unknown) => {
          if (err instanceof ComponentLockConflict) onLost(err);
          // A Redis error: the next refresh tries again (the TTL outlives two misses).
        });
      },
      (this.ttlSeconds * 1000) / 3,
    );
    this.timer.unref();
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.eval(RELEASE, 1, this.key, this.value);
  }

  private async take(): Promise<void> {
    const { service, domain } = this.who;
    const held = await this.redis.eval(TAKE, 1, this.key, service, domain, this.value, this.ttlSeconds);
    if (typeof held !== "string") return;
    let holder: LockHolder | undefined;
    try {
      const parsed = holderSchema.safeParse(JSON.parse(held));
      holder = parsed.success ? parsed.data : undefined;
    } catch {
      holder = undefined;
    }
    const ttl = await this.redis.ttl(this.key);
    throw new ComponentLockConflict(this.gatewayId, holder, ttl > 0 ? ttl : this.ttlSeconds);
  }
}

/** A second gateway on the same (prefix, gateway id) with another XMPP service: refused. */
export function lockConflictError(prefix: string, err: ComponentLockConflict): StartupError {
  const h = err.holder;
  const who = h ? `${h.service} (${h.domain}), held by pid ${h.pid} on ${h.host}` : "another XMPP service";
  return new StartupError(
    `redis.prefix "${prefix}" with gateway id "${err.gatewayId}" is in use for ${who}; ` +
      `two gateways sharing a prefix and id take each other's messages: give this one its own redis.prefix ` +
      `(or stop the other; its lock expires ${err.ttlSeconds} s after it stops)`,
    EXIT.config,
  );
}
