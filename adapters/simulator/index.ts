/**
 * The simulator adapter: a phone network inside the process, for the demo and for tests. A send
 * is accepted at once (or refused for failNumbers); after replyDelayMs the network reports
 * delivery (or failure 30003 for unreachableNumbers) and, in "echo" mode, the recipient texts the
 * message back. Events go to deps.emit, as webhooks would bring them from a real provider.
 */
import type {
  Account,
  AdapterDeps,
  Capabilities,
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
import { simulatedNetwork, simulatorMessageId } from "./network.js";
import { simulatorTextRoute } from "./text-route.js";

export { type SimulatorConfig, simulatorConfigSchema } from "./config.js";
export { simulatorMessageId, UNREACHABLE_CODE } from "./network.js";

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

/** Why the simulator refuses a message at once (failNumbers, limits, nothing to send); none: undefined. */
function refusal(msg: OutboundMessage, failNumbers: ReadonlySet<string>): PermanentError | undefined {
  if (failNumbers.has(msg.to)) {
    return new PermanentError(`Simulator: ${msg.to} refuses messages (listed in failNumbers)`, "SIM-FAIL");
  }
  if (msg.body.length > SIMULATOR_CAPABILITIES.maxBodyLength) {
    return new PermanentError(
      `Simulator: the body is longer than ${SIMULATOR_CAPABILITIES.maxBodyLength} characters`,
      "SIM-TOO-LONG",
    );
  }
  if (msg.mediaUrls.length > SIMULATOR_CAPABILITIES.maxMedia) {
    return new PermanentError(
      `Simulator: more than ${SIMULATOR_CAPABILITIES.maxMedia} media items`,
      "SIM-TOO-MANY-MEDIA",
    );
  }
  if (msg.body.length === 0 && msg.mediaUrls.length === 0) {
    return new PermanentError("Simulator: a message needs a body or media", "SIM-EMPTY");
  }
  return undefined;
}

export function createSimulatorAdapter(options: SimulatorAdapterOptions, deps: AdapterDeps): NetworkAdapter {
  const config = simulatorConfigSchema.parse(options.simulator);
  const logger = deps.logger.child({ adapter: "simulator", gatewayId: options.gatewayId });
  const phone = {
    check: options.numberCheck,
    ...(options.defaultRegion === undefined ? {} : { defaultRegion: options.defaultRegion }),
  };
  const failNumbers: ReadonlySet<string> = new Set(config.failNumbers);
  const network = simulatedNetwork(config, logger, deps.emit);
  let closed = false;

  async function send(msg: OutboundMessage, account: Account): Promise<SendResult> {
    if (closed) {
      throw new RetryableError("the simulator adapter is closed");
    }
    const refused = refusal(msg, failNumbers);
    if (refused) throw refused;
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
    network.accepted(msg, account, providerMessageId);
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
      await network.close();
    },
  };
}

/** Registry entry for the composition root: the config block lives at `gateways[i].simulator`. */
export const simulatorAdapterModule = {
  kind: "simulator",
  configSchema: simulatorConfigSchema,
  create: createSimulatorAdapter,
} as const;
