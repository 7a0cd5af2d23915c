/**
 * The simulator adapter: a phone network inside the process, for the demo and for tests. A send
 * is accepted at once (or refused for failNumbers); after replyDelayMs the network reports
 * delivery (or failure 30003 for unreachableNumbers) and, in "echo" mode, the recipient texts the
 * message back. Events go to deps.emit, as webhooks would bring them from a real provider.
 */
import { randomBytes } from "node:crypto";
import type {
  Account,
  AdapterDeps,
  Capabilities,
  InboundEvent,
  NetworkAdapter,
  OutboundMessage,
  SendResult,
} from "../../src/core/adapter.js";
import { PermanentError, RetryableError } from "../../src/core/errors.js";
import {
  type DestinationRules,
  formatSmsAddress,
  type NumberCheck,
  parseSmsLocalpart,
  smsCapabilities,
} from "../sms-kit/index.js";
import { type SimulatorConfig, simulatorConfigSchema } from "./config.js";
import { simulatorTextRoute } from "./text-route.js";

export { type SimulatorConfig, simulatorConfigSchema } from "./config.js";

export interface SimulatorAdapterOptions {
  readonly gatewayId: string;
  /** Region for numbers typed without a country code, e.g. "US". */
  readonly defaultRegion?: string;
  readonly numberCheck: NumberCheck;
  /** The gateway's destination rules (premium-rate, satellite, countries); absent: none. */
  readonly destinations?: DestinationRules;
  readonly simulator: SimulatorConfig;
}

export const SIMULATOR_CAPABILITIES: Capabilities = {
  gatewayType: "sms",
  maxBodyLength: 1600,
  deliveryReports: true,
  media: true,
  maxMedia: 10,
};

/** Error code and reason reported for unreachableNumbers, as Twilio reports an unreachable handset. */
export const UNREACHABLE_CODE = "30003";
const UNREACHABLE_REASON = "Simulator error 30003: unreachable destination handset";

/** A provider-style message id: "SIM" and 32 hex digits. */
export function simulatorMessageId(): string {
  return `SIM${randomBytes(16).toString("hex")}`;
}

export function createSimulatorAdapter(options: SimulatorAdapterOptions, deps: AdapterDeps): NetworkAdapter {
  const config = simulatorConfigSchema.parse(options.simulator);
  const logger = deps.logger.child({ adapter: "simulator", gatewayId: options.gatewayId });
  const phone = {
    check: options.numberCheck,
    ...(options.defaultRegion === undefined ? {} : { defaultRegion: options.defaultRegion }),
  };
  const failNumbers: ReadonlySet<string> = new Set(config.failNumbers);
  const unreachableNumbers: ReadonlySet<string> = new Set(config.unreachableNumbers);
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  /** What the network sends back once a message has been "delivered" (or not). */
  function outcome(msg: OutboundMessage, account: Account, providerMessageId: string): InboundEvent[] {
    if (unreachableNumbers.has(msg.to)) {
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

  function emitLater(events: InboundEvent[]): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
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
      const emitted = deps
        .emit(events)
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

  async function send(msg: OutboundMessage, account: Account): Promise<SendResult> {
    if (closed) {
      throw new RetryableError("the simulator adapter is closed");
    }
    if (failNumbers.has(msg.to)) {
      throw new PermanentError(`Simulator: ${msg.to} refuses messages (listed in failNumbers)`, "SIM-FAIL");
    }
    if (msg.body.length > SIMULATOR_CAPABILITIES.maxBodyLength) {
      throw new PermanentError(
        `Simulator: the body is longer than ${SIMULATOR_CAPABILITIES.maxBodyLength} characters`,
        "SIM-TOO-LONG",
      );
    }
    if (msg.mediaUrls.length > SIMULATOR_CAPABILITIES.maxMedia) {
      throw new PermanentError(
        `Simulator: more than ${SIMULATOR_CAPABILITIES.maxMedia} media items`,
        "SIM-TOO-MANY-MEDIA",
      );
    }
    if (msg.body.length === 0 && msg.mediaUrls.length === 0) {
      throw new PermanentError("Simulator: a message needs a body or media", "SIM-EMPTY");
    }
    const providerMessageId = simulatorMessageId();
    // The phone network's view of the traffic (the demo prints these lines): no real person's texts.
    logger.info(
      {
        event: "sent",
        messageId: msg.messageId,
        providerMessageId,
        from: msg.from,
        to: msg.to,
        body: msg.body,
      },
      "simulated network: message sent",
    );
    emitLater(outcome(msg, account, providerMessageId));
    return { providerMessageId };
  }

  return {
    kind: "simulator",
    capabilities: SIMULATOR_CAPABILITIES,
    ...smsCapabilities(options.destinations),
    parseAddress: (localpart) => parseSmsLocalpart(localpart, phone),
    formatAddress: (address) => formatSmsAddress(address),
    send,
    ...(config.inboundToken === undefined
      ? {}
      : {
          webhooks: [
            simulatorTextRoute({ token: config.inboundToken, phone, logger, newId: simulatorMessageId }),
          ],
        }),
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Registry entry for the composition root: the config block lives at `gateways[i].simulator`. */
export const simulatorAdapterModule = {
  kind: "simulator",
  configSchema: simulatorConfigSchema,
  create: createSimulatorAdapter,
} as const;
