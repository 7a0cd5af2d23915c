/** The outbound intake over a FakeTransport for alice (bound to a number), for intake tests. */
import { type Element, xml } from "@xmpp/component";
import type { AcceptOptions } from "../../../src/core/pipeline/accept.js";
import type { OutboundJob } from "../../../src/core/pipeline/jobs.js";
import type { EnqueueOutcome } from "../../../src/core/ports.js";
import { type IntakeOptions, outboundIntake } from "../../../src/xmpp/outbound-intake.js";
import { FakeTransport } from "../../harness/fake-transport.js";
import { MemoryRegistrationStore } from "../../harness/memory-registrations.js";
import { silentLogger } from "../../harness/silent-logger.js";
import { DEFAULT_RULES, DOMAIN, fakeAdapter } from "./setup.js";

export async function intakeRig(
  producer: AcceptOptions["producer"],
  more: Partial<Pick<IntakeOptions, "maxInFlight" | "lag">> = {},
): Promise<{ transport: FakeTransport; onMessage: (el: Element) => Promise<void> }> {
  const transport = new FakeTransport(DOMAIN);
  transport.goOnline();
  const registrations = new MemoryRegistrationStore();
  await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
  const onMessage = outboundIntake({
    gatewayId: "sms",
    transport,
    adapter: fakeAdapter(),
    registrations,
    allowedDomains: new Set(["example.org"]),
    logger: silentLogger,
    producer,
    rules: DEFAULT_RULES,
    ...more,
  });
  return { transport, onMessage };
}

/** Alice's message stanza with `id` to a number on the gateway. */
export function aliceMessage(id: string, body = "hello"): Element {
  return xml(
    "message",
    { from: "alice@example.org/phone", to: `+15557654321@${DOMAIN}`, id, type: "chat" },
    xml("body", {}, body),
  );
}

/** Holds every enqueue until the test releases it, like a Redis that answers late or not at all. */
export class HeldProducer {
  readonly jobs: OutboundJob[] = [];
  /** Enqueues not answered yet. */
  readonly waiting: (() => void)[] = [];
  enqueueOutbound(job: OutboundJob): Promise<EnqueueOutcome> {
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.jobs.push(job);
        resolve("enqueued");
      }),
    );
  }
  /** Answers the `n` oldest enqueues. */
  release(n = 1): void {
    for (const go of this.waiting.splice(0, n)) go();
  }
}
