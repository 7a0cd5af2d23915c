/**
 * The simulator in the conformance suite. Its network is inside the gateway process, so its
 * stand-in is the adapter itself: the production registry entry, wrapped only to record what
 * reached the network (each send, as the adapter got it) and to hold the `emit` the network
 * delivers texts with. Permanent errors and failure reports come from its own configuration
 * (failNumbers, unreachableNumbers); receipts come by themselves; its one webhook (text, with a
 * bearer token) is what forged requests are made against.
 */
import type { AdapterDeps } from "../../src/core/adapter.js";
import { type AdapterEntry, adapters, entry } from "../../src/main.js";
import type { ConformanceAdapter, SentMessage } from "./descriptor.js";
import { freshUsNumber, SMS_ADDRESSES } from "./sms.js";

const OWNER = "+15550004141";
const FAIL_NUMBER = "+15557004001";
const UNREACHABLE = "+15557004002";
const INBOUND_TOKEN = "simulator-inbound-token-conformance";

/** The production entry, recording sends and keeping the network's `emit`. */
function recordingEntry(sent: SentMessage[], network: { emit?: AdapterDeps["emit"] }): AdapterEntry<unknown> {
  const production = adapters.simulator;
  if (!production) throw new Error("the simulator is not in the registry");
  return entry({
    schema: production.schema,
    pacing: production.pacing,
    create(g, config, deps) {
      network.emit = deps.emit;
      const adapter = production.create(g, config, deps);
      return {
        ...adapter,
        async send(msg, account) {
          const at = Date.now();
          const record = {
            to: msg.to,
            from: account.number,
            body: msg.body,
            mediaUrls: [...msg.mediaUrls],
            at,
          };
          try {
            const result = await adapter.send(msg, account);
            sent.push({ ...record, providerId: result.providerMessageId });
            return result;
          } catch (err) {
            sent.push({ ...record, providerId: "" });
            throw err;
          }
        },
      };
    },
  });
}

export const simulatorConformance: ConformanceAdapter = {
  name: "simulator",
  available: () => true,
  notApplicable: {
    retryable: "the simulated network never answers 'try again later'",
    registration: "the simulator has no provider accounts: numbers are bound by the operator",
  },
  async start() {
    const sent: SentMessage[] = [];
    const network: { emit?: AdapterDeps["emit"] } = {};
    let counter = 0;
    return {
      gateway: {
        adapter: "simulator",
        simulator: {
          replyDelayMs: 50,
          reply: "none",
          failNumbers: [FAIL_NUMBER],
          unreachableNumbers: [UNREACHABLE],
          inboundToken: "${SIM_TOKEN}",
        },
      },
      env: { SIM_TOKEN: INBOUND_TOKEN },
      adapters: { simulator: recordingEntry(sent, network) },
      owner: { address: OWNER },
      newId: () => `SIM${Date.now().toString(16)}${(counter++).toString(16).padStart(8, "0")}`,
      contact: () => freshUsNumber(),
      attempts: () => sent,
      permanentError: () => ({ to: FAIL_NUMBER, reason: /refuses messages \(listed in failNumbers\)/ }),
      async postInbound(_gw, p) {
        if (!network.emit) throw new Error("the simulator has not been created");
        const mediaUrls = [...(p.mediaUrls ?? [])];
        await network.emit([
          { kind: "message", providerMessageId: p.id, from: p.from, to: p.to, body: p.body, mediaUrls },
        ]);
        return 200;
      },
      async postUnsigned(gw, p, how) {
        const res = await fetch(`${gw.localUrl}/webhooks/${gw.id}/text`, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            ...(how === "forged" ? { authorization: "Bearer not-the-inbound-token-at-all" } : {}),
          },
          body: new URLSearchParams({ From: p.from, To: p.to, Body: p.body }).toString(),
          signal: AbortSignal.timeout(15_000),
        });
        return res.status;
      },
      // The simulated network reports delivery by itself, replyDelayMs after the send.
      reportDelivered: async () => undefined,
      failure: { to: () => UNREACHABLE, report: async () => undefined, reason: /30003.*unreachable/ },
      addresses: SMS_ADDRESSES,
      stop: async () => undefined,
    };
  },
};
