/** coalesceWrites against real Redis: the commands of one turn leave in one write, replies unchanged, after reconnects too. */
import type { Socket } from "node:net";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { coalesceWrites } from "../../src/store/write-coalescing.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";
import { countWrites, inCallbacksOfOneTurn } from "../harness/socket-writes.js";
import { waitFor } from "../harness/wait.js";

const socketOf = (r: Redis) => (r as unknown as { stream: Socket }).stream;
const prefix = uniquePrefix("coalesce");
const clients: Redis[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

async function connected(coalesce: boolean): Promise<Redis> {
  const r = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  clients.push(r);
  if (coalesce) coalesceWrites(r);
  await r.ping();
  return r;
}

const burst = (r: Redis, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => r.incr(`${prefix}:${i % 5}`)));

describe("coalesceWrites", () => {
  it("sends the commands of one turn in one write, with the same replies in order", async () => {
    const plain = await connected(false);
    const plainWrites = countWrites(socketOf(plain));
    await burst(plain, 50);
    expect(plainWrites.n).toBe(50);

    const r = await connected(true);
    await r.del(...Array.from({ length: 5 }, (_, i) => `${prefix}:c${i}`));
    const writes = countWrites(socketOf(r));
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => r.incr(`${prefix}:c${i % 5}`)));
    expect(writes.n).toBe(1);
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => Math.floor(i / 5) + 1));
  });

  it("sends the commands of several callbacks of one turn in one write (as provider answers read together)", async () => {
    const r = await connected(true);
    const writes = countWrites(socketOf(r));
    const replies = await inCallbacksOfOneTurn(3, (i) => r.echo(`cb${i}`));
    expect(replies).toEqual(["cb0", "cb1", "cb2"]);
    expect(writes.n).toBe(1);
  });

  it("writes each turn on its own (a command is never held past its turn)", async () => {
    const r = await connected(true);
    const writes = countWrites(socketOf(r));
    for (let i = 0; i < 3; i++) await r.ping();
    expect(writes.n).toBe(3);
  });

  it("coalesces on the new socket after a reconnection", async () => {
    const r = await connected(true);
    const first = socketOf(r);
    const id = await r.client("ID");
    const killer = await connected(false);
    await killer.client("KILL", "ID", String(id));
    await waitFor(() => socketOf(r) !== first && r.status === "ready", {
      timeoutMs: 5000,
      description: "the client to reconnect",
    });
    const writes = countWrites(socketOf(r));
    await burst(r, 20);
    expect(writes.n).toBe(1);
  });
});
