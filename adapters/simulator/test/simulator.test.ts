import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type AdapterDeps,
  type InboundEvent,
  type NetworkAdapter,
  WebhookAuthError,
  WebhookInputError,
} from "../../../src/core/adapter.js";
import { AddressError, PermanentError, RetryableError } from "../../../src/core/errors.js";
import type { Logger } from "../../../src/core/logger.js";
import { simulatorConfigSchema } from "../config.js";
import { createSimulatorAdapter, type SimulatorConfig, simulatorAdapterModule } from "../index.js";

const ME = "+15550001111";
const FRIEND = "+15557654321";
const BROKEN = "+15550000000";
const OFF = "+15559999999";

function silentLogger(onError?: (msg: string | undefined) => void): Logger {
  const noop = () => {};
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: (_obj: unknown, msg?: string) => onError?.(msg),
    fatal: noop,
    child: () => logger,
  };
  return logger;
}

/** Deps whose emit records events and resolves `next()` on the following emit. */
function recordingDeps() {
  const emitted: InboundEvent[][] = [];
  let waiting: ((events: InboundEvent[]) => void) | undefined;
  const deps: AdapterDeps = {
    logger: silentLogger(),
    emit: async (events) => {
      emitted.push(events);
      waiting?.(events);
      waiting = undefined;
    },
  };
  const next = () =>
    new Promise<InboundEvent[]>((resolve, reject) => {
      waiting = resolve;
      setTimeout(() => reject(new Error("no emit within 2 s")), 2000).unref();
    });
  return { deps, emitted, next };
}

let adapter: NetworkAdapter | undefined;

afterEach(async () => {
  await adapter?.close?.();
  adapter = undefined;
  vi.useRealTimers();
});

function make(config: Partial<SimulatorConfig>, deps: AdapterDeps): NetworkAdapter {
  adapter = createSimulatorAdapter(
    {
      gatewayId: "sim",
      defaultRegion: "US",
      numberCheck: "possible",
      simulator: simulatorConfigSchema.parse({
        replyDelayMs: 5,
        failNumbers: [BROKEN],
        unreachableNumbers: [OFF],
        ...config,
      }),
    },
    deps,
  );
  return adapter;
}

const message = (to: string, body = "hi", mediaUrls: string[] = []) => ({
  to,
  from: ME,
  body,
  mediaUrls,
  messageId: "job-1",
});

describe("simulator send", () => {
  it("reports delivery, then the recipient echoes the message with its media", async () => {
    const { deps, next } = recordingDeps();
    const sim = make({}, deps);
    const arrived = next();
    const media = ["https://files.example.org/cat.jpg"];
    const { providerMessageId } = await sim.send(message(FRIEND, "hello", media), { number: ME });

    expect(providerMessageId).toMatch(/^SIM[0-9a-f]{32}$/);
    const events = await arrived;
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual({ kind: "status", providerMessageId, status: "delivered" });
    expect(events[1]).toMatchObject({
      kind: "message",
      from: FRIEND,
      to: ME,
      body: "echo: hello",
      mediaUrls: media,
    });
    const echo = events[1];
    expect(echo?.providerMessageId).toMatch(/^SIM[0-9a-f]{32}$/);
    expect(echo?.providerMessageId).not.toBe(providerMessageId);
  });

  it("uses the configured echo prefix", async () => {
    const { deps, next } = recordingDeps();
    const sim = make({ echoPrefix: "> " }, deps);
    const arrived = next();
    await sim.send(message(FRIEND, "ping"), { number: ME });
    expect((await arrived)[1]).toMatchObject({ body: "> ping" });
  });

  it("gives each send its own id", async () => {
    const { deps } = recordingDeps();
    const sim = make({ reply: "none" }, deps);
    const a = await sim.send(message(FRIEND), { number: ME });
    const b = await sim.send(message(FRIEND), { number: ME });
    expect(a.providerMessageId).not.toBe(b.providerMessageId);
  });

  it('only reports delivery when reply is "none"', async () => {
    const { deps, next } = recordingDeps();
    const sim = make({ reply: "none" }, deps);
    const arrived = next();
    const { providerMessageId } = await sim.send(message(FRIEND), { number: ME });
    expect(await arrived).toEqual([{ kind: "status", providerMessageId, status: "delivered" }]);
  });

  it("reports failure 30003 for an unreachable number, without an echo", async () => {
    const { deps, next } = recordingDeps();
    const sim = make({}, deps);
    const arrived = next();
    const { providerMessageId } = await sim.send(message(OFF), { number: ME });
    expect(await arrived).toEqual([
      {
        kind: "status",
        providerMessageId,
        status: "failed",
        errorCode: "30003",
        reason: "Simulator error 30003: unreachable destination handset",
      },
    ]);
  });

  it("refuses failNumbers with a PermanentError and emits nothing", async () => {
    vi.useFakeTimers();
    const { deps, emitted } = recordingDeps();
    const sim = make({}, deps);
    await expect(sim.send(message(BROKEN), { number: ME })).rejects.toBeInstanceOf(PermanentError);
    expect(vi.getTimerCount()).toBe(0);
    expect(emitted).toEqual([]);
  });

  it("refuses what a real SMS network would: too long, too many media, empty", async () => {
    const { deps } = recordingDeps();
    const sim = make({}, deps);
    const tooMany = Array.from({ length: 11 }, (_, i) => `https://files.example.org/${i}.jpg`);
    await expect(sim.send(message(FRIEND, "x".repeat(1601)), { number: ME })).rejects.toBeInstanceOf(
      PermanentError,
    );
    await expect(sim.send(message(FRIEND, "x", tooMany), { number: ME })).rejects.toBeInstanceOf(
      PermanentError,
    );
    await expect(sim.send(message(FRIEND, ""), { number: ME })).rejects.toBeInstanceOf(PermanentError);
  });

  it("logs, and does not throw, when emit fails", async () => {
    let logged: ((msg: string | undefined) => void) | undefined;
    const errorLogged = new Promise<string | undefined>((resolve) => {
      logged = resolve;
    });
    const sim = make(
      {},
      {
        logger: silentLogger((msg) => logged?.(msg)),
        emit: async () => {
          throw new Error("redis down");
        },
      },
    );
    await sim.send(message(FRIEND), { number: ME });
    expect(await errorLogged).toBe("simulator emit failed");
  });
});

describe("simulator close", () => {
  it("clears pending timers so nothing is emitted afterwards", async () => {
    vi.useFakeTimers();
    const { deps, emitted } = recordingDeps();
    const sim = make({ replyDelayMs: 1000 }, deps);
    await sim.send(message(FRIEND), { number: ME });
    await sim.send(message(OFF), { number: ME });
    expect(vi.getTimerCount()).toBe(2);

    await sim.close?.();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(emitted).toEqual([]);
  });

  it("refuses sends after close as retryable (another worker may take them)", async () => {
    const { deps } = recordingDeps();
    const sim = make({}, deps);
    await sim.close?.();
    await expect(sim.send(message(FRIEND), { number: ME })).rejects.toBeInstanceOf(RetryableError);
  });
});

describe("simulator addresses and shape", () => {
  const { deps } = recordingDeps();
  const sim = createSimulatorAdapter(
    {
      gatewayId: "sim",
      defaultRegion: "US",
      numberCheck: "possible",
      simulator: simulatorConfigSchema.parse({}),
    },
    deps,
  );

  it("parses localparts as E.164 and refuses what is not a number", () => {
    expect(sim.parseAddress("+15557654321")).toBe("+15557654321");
    expect(sim.parseAddress("5557654321")).toBe("+15557654321");
    expect(() => sim.parseAddress("bob")).toThrow(AddressError);
  });

  it("formats numbers as they are and escapes sender ids", () => {
    expect(sim.formatAddress("+15557654321")).toBe("+15557654321");
    expect(sim.formatAddress("ACME Bank")).toBe("ACME\\20Bank");
  });

  it("declares its capabilities, no webhooks, and registers as the simulator module", () => {
    expect(sim.kind).toBe("simulator");
    expect(sim.capabilities).toEqual({
      gatewayType: "sms",
      maxBodyLength: 1600,
      deliveryReports: true,
      media: true,
      maxMedia: 10,
    });
    expect(sim.webhooks).toBeUndefined();
    expect(simulatorAdapterModule.kind).toBe("simulator");
    expect(simulatorAdapterModule.configSchema).toBe(simulatorConfigSchema);
    expect(simulatorAdapterModule.create).toBe(createSimulatorAdapter);
  });
});

describe("simulatorConfigSchema", () => {
  it("applies defaults", () => {
    expect(simulatorConfigSchema.parse({})).toEqual({
      replyDelayMs: 200,
      reply: "echo",
      echoPrefix: "echo: ",
      failNumbers: [],
      unreachableNumbers: [],
    });
  });

  it.each([
    [{ replyDelayMs: -1 }, "replyDelayMs"],
    [{ reply: "shout" }, "reply"],
    [{ failNumbers: ["5551234567"] }, "failNumbers"],
    [{ unreachableNumbers: ["+0123"] }, "unreachableNumbers"],
    [{ replyDelay: 5 }, "replyDelay"],
  ])("refuses %j", (input, path) => {
    const result = simulatorConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(path);
  });

  it("documents every option", () => {
    for (const [key, field] of Object.entries(simulatorConfigSchema.shape)) {
      expect(field.description, key).toBeTruthy();
    }
  });
});

describe("the simulator's text webhook (a phone texts a user first)", () => {
  const TOKEN = "a-token-of-sixteen-chars";
  const request = (form: Record<string, string>, authorization?: string) => ({
    publicUrl: "http://127.0.0.1/webhooks/sim/text",
    headers: { authorization },
    form,
    rawBody: new URLSearchParams(form).toString(),
  });

  it("exists only with an inboundToken", () => {
    expect(make({}, recordingDeps().deps).webhooks).toBeUndefined();
    expect(make({ inboundToken: TOKEN }, recordingDeps().deps).webhooks?.map((r) => r.path)).toEqual([
      "text",
    ]);
  });

  it("turns an authorized post into an inbound message, refuses a wrong token and bad input", async () => {
    const route = make({ inboundToken: TOKEN }, recordingDeps().deps).webhooks?.[0];
    if (!route) throw new Error("no route");
    const ok = await route.handle(request({ From: "(555) 765-4321", To: ME, Body: "hi" }, `Bearer ${TOKEN}`));
    expect(ok.ack.status).toBe(200);
    expect(ok.events).toEqual([
      {
        kind: "message",
        providerMessageId: expect.stringMatching(/^SIM/),
        from: FRIEND,
        to: ME,
        body: "hi",
        mediaUrls: [],
      },
    ]);
    await expect(route.handle(request({ From: FRIEND, To: ME, Body: "hi" }, "Bearer nope"))).rejects.toThrow(
      WebhookAuthError,
    );
    await expect(route.handle(request({ From: FRIEND, To: ME, Body: "hi" }))).rejects.toThrow(
      WebhookAuthError,
    );
    await expect(
      route.handle(request({ From: "not a number", To: ME, Body: "hi" }, `Bearer ${TOKEN}`)),
    ).rejects.toThrow(WebhookInputError);
    await expect(route.handle(request({ From: FRIEND, To: ME }, `Bearer ${TOKEN}`))).rejects.toThrow(
      WebhookInputError,
    );
  });
});
