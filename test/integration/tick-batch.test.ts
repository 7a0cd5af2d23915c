/** TickBatch against real Redis: the commands of one event-loop turn share one pipeline, each caller gets its own replies. */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { replyAt } from "../../src/store/batch.js";
import { TickBatch } from "../../src/store/tick-batch.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";

describe("TickBatch", () => {
  let redis: Redis;
  const prefix = uniquePrefix("tick-batch");

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  });
  afterAll(() => redis.disconnect());

  const incr = (ticks: TickBatch, key: string) =>
    ticks.run((batch) => {
      const at = batch.length;
      batch.incr(`${prefix}:${key}`).incr(`${prefix}:${key}`);
      return (replies) => [replyAt(replies, at), replyAt(replies, at + 1)];
    });

  it("sends the calls of one turn as one pipeline and hands each caller its own replies", async () => {
    const ticks = new TickBatch(redis);
    const pipelines = vi.spyOn(redis, "pipeline");
    const answers = await Promise.all(["a", "b", "c", "a"].map((k) => incr(ticks, k)));
    expect(pipelines).toHaveBeenCalledTimes(1);
    expect(answers).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
      [3, 4],
    ]);
    // A later turn is a pipeline of its own.
    expect(await incr(ticks, "b")).toEqual([3, 4]);
    expect(pipelines).toHaveBeenCalledTimes(2);
    pipelines.mockRestore();
  });

  it("fails only the caller whose command failed", async () => {
    const ticks = new TickBatch(redis);
    await redis.set(`${prefix}:text`, "not a number");
    const results = await Promise.allSettled([incr(ticks, "text"), incr(ticks, "d")]);
    expect(results[0]?.status).toBe("rejected");
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/not an integer/);
    expect(results[1]).toEqual({ status: "fulfilled", value: [1, 2] });
  });

  it("lets a reader ask Redis more, and a reader that throws fails only its caller", async () => {
    const ticks = new TickBatch(redis);
    const asking = ticks.run((batch) => {
      const at = batch.length;
      batch.set(`${prefix}:e`, "1");
      return async (replies) => {
        replyAt(replies, at);
        return redis.get(`${prefix}:e`);
      };
    });
    const throwing = ticks.run(() => () => {
      throw new Error("unreadable");
    });
    const [asked, thrown] = await Promise.allSettled([asking, throwing]);
    expect(asked).toEqual({ status: "fulfilled", value: "1" });
    expect(String((thrown as PromiseRejectedResult).reason)).toMatch(/unreadable/);
  });

  it("fails every caller of the pipeline when the connection fails", async () => {
    const lost = new Redis(redisUrl(), {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      enableOfflineQueue: false,
    });
    lost.on("error", () => {}); // the refused connection is the point; ioredis must not throw it
    const ticks = new TickBatch(lost);
    const results = await Promise.allSettled([incr(ticks, "f"), incr(ticks, "g")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    lost.disconnect();
  });

  it("sends a very large turn before the turn ends", async () => {
    const ticks = new TickBatch(redis);
    const pipelines = vi.spyOn(redis, "pipeline");
    const all = Array.from({ length: 1500 }, (_, i) => incr(ticks, `h${i % 7}`));
    expect(pipelines).toHaveBeenCalledTimes(2);
    expect((await Promise.all(all)).length).toBe(1500);
    pipelines.mockRestore();
  });
});
