/**
 * The simulated phone network behind the simulator adapter: after replyDelayMs it reports a sent
 * message delivered (or failed 30003 for unreachableNumbers) and, in "echo" mode, texts it back.
 */
import { randomBytes } from "node:crypto";
import type { Account, AdapterDeps, InboundEvent, OutboundMessage } from "../../src/core/adapter.js";
import type { Logger } from "../../src/core/logger.js";
import type { SimulatorConfig } from "./config.js";

/** Error code and reason reported for unreachableNumbers, as Twilio reports an unreachable handset. */
export const UNREACHABLE_CODE = "30003";
const UNREACHABLE_REASON = "Simulator error 30003: unreachable destination handset";

/** A provider-style message id: "SIM" and 32 hex digits. */
export function simulatorMessageId(): string {
  return `SIM${randomBytes(16).toString("hex")}`;
}

export interface SimulatedNetwork {
  /** Schedules what the network sends back for a message it accepted. */
  accepted(msg: OutboundMessage, account: Account, providerMessageId: string): void;
  /** Cancels what is still scheduled and waits for what is being emitted. */
  close(): Promise<void>;
}

/** What the network sends back once a message has been "delivered" (or not). */
function outcome(
  config: SimulatorConfig,
  unreachable: ReadonlySet<string>,
  msg: OutboundMessage,
  account: Account,
  providerMessageId: string,
): InboundEvent[] {
  if (unreachable.has(msg.to)) {
    return [
      {
        kind: "status",
        providerMessageId,
        status: "failed",
        errorCode: UNREACHABLE_CODE,
        reason: UNREACHABLE_REASON,
      },
    ];
  }
  const events: InboundEvent[] = [{ kind: "status", providerMessageId, status: "delivered" }];
  if (config.reply === "echo") {
    events.push({
      kind: "message",
      providerMessageId: simulatorMessageId(),
      from: msg.to,
      to: account.number,
      body: `${config.echoPrefix}${msg.body}`,
      mediaUrls: [...msg.mediaUrls],
    });
  }
  return events;
}

function logEvents(logger: Logger, events: readonly InboundEvent[]): void {
  for (const e of events) {
    if (e.kind === "message") {
      logger.info(
        { event: "received", from: e.from, to: e.to, body: e.body },
        "simulated network: incoming text",
      );
    } else {
      logger.info(
        { event: "report", providerMessageId: e.providerMessageId, status: e.status },
        "simulated network: delivery report",
      );
    }
  }
}

export function simulatedNetwork(
  config: SimulatorConfig,
  logger: Logger,
  emit: AdapterDeps["emit"],
): SimulatedNetwork {
  const unreachable: ReadonlySet<string> = new Set(config.unreachableNumbers);
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();

  function emitLater(events: InboundEvent[]): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      logEvents(logger, events);
      const emitted = emit(events)
        .catch((err: unknown) => {
          logger.error({ err: err instanceof Error ? err.message : String(err) }, "simulator emit failed");
        })
        .finally(() => {
          inFlight.delete(emitted);
        });
      inFlight.add(emitted);
    }, config.replyDelayMs);
    timers.add(timer);
  }

  return {
    accepted(msg, account, providerMessageId) {
      emitLater(outcome(config, unreachable, msg, account, providerMessageId));
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}
