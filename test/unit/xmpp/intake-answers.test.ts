/**
 * What the sender hears when the enqueue fails: "send it again later" only when the job is known
 * not to exist; when Redis stopped answering after the add may have reached it, the sender is told
 * that the gateway could not confirm it (resending would risk a duplicate).
 */
import { type Element, xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import { EnqueueUncertainError } from "../../../src/core/ports.js";
import type { Producer } from "../../../src/queue/producer.js";
import { outboundIntake } from "../../../src/xmpp/outbound-intake.js";
import { errorCondition, FakeTransport } from "../../harness/fake-transport.js";
import { MemoryRegistrationStore } from "../../harness/memory-registrations.js";
import { silentLogger } from "../../harness/silent-logger.js";
import { aliceMessage, intakeRig } from "./intake-rig.js";
import { DEFAULT_RULES, DOMAIN, fakeAdapter } from "./setup.js";

async function answerTo(failure: Error): Promise<Element | undefined> {
  const { transport, onMessage } = await intakeRig({ enqueueOutbound: () => Promise.reject(failure) });
  await onMessage(aliceMessage("m1"));
  expect(transport.sent).toHaveLength(1);
  return transport.sent[0];
}

const text = (el: Element | undefined) => el?.getChild("error")?.getChildText("text") ?? "";

describe("intake: the answer matches what happened to the enqueue", () => {
  it("asks to send it again later when the job is known not to exist", async () => {
    const el = await answerTo(Object.assign(new Error("max retries"), { name: "MaxRetriesPerRequestError" }));
    expect(errorCondition(el as Element)).toBe("resource-constraint");
    expect(text(el)).toMatch(/send it again later/);
  });

  it("says it could not confirm (and not 'send it again') when the job may exist", async () => {
    const el = await answerTo(new EnqueueUncertainError("Redis did not confirm job o-1"));
    expect(el?.attrs.type).toBe("error");
    expect(text(el)).not.toMatch(/send it again/);
    expect(text(el)).toMatch(/could not confirm/);
    expect(text(el)).not.toMatch(/Redis|o-1/);
  });
});

describe("intake: media URLs to private hosts", () => {
  it("refuses an OOB URL to a link-local address with policy-violation, without enqueueing it", async () => {
    const transport = new FakeTransport(DOMAIN);
    transport.goOnline();
    const registrations = new MemoryRegistrationStore();
    await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
    const enqueued: unknown[] = [];
    const producer = {
      enqueueOutbound: async (job: unknown) => {
        enqueued.push(job);
        return "enqueued";
      },
    };
    const adapter = fakeAdapter();
    const onMessage = outboundIntake({
      gatewayId: "sms",
      transport,
      adapter: { ...adapter, capabilities: { ...adapter.capabilities, media: true, maxMedia: 10 } },
      registrations,
      allowedDomains: new Set(["example.org"]),
      logger: silentLogger,
      producer: producer as unknown as Producer,
      rules: DEFAULT_RULES,
    });
    await onMessage(
      xml(
        "message",
        { from: "alice@example.org/phone", to: `+15557654321@${DOMAIN}`, id: "m2", type: "chat" },
        xml("body", {}, "look"),
        xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, "http://169.254.169.254/latest/meta-data/")),
      ),
    );
    expect(enqueued).toEqual([]);
    expect(errorCondition(transport.sent[0] as Element)).toBe("policy-violation");
    expect(text(transport.sent[0])).toMatch(/private or local address/);
  });
});
