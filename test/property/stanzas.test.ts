/**
 * Bad input, stanza level: random message, iq and presence stanzas (odd JIDs, missing attributes,
 * huge bodies, deep nesting, lone surrogates) go to the component's handlers on a FakeTransport,
 * interleaved with valid messages. Properties: exactly one reply per iq get/set and none to a
 * result or error; never a reply to an error stanza; at most one reply to a message, an error
 * echoing its id; every reply from the gateway's domain; no handler throws and no promise is
 * left rejected; every valid message is enqueued exactly once.
 */
import { type Element, xml } from "@xmpp/component";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Producer } from "../../src/queue/producer.js";
import { startFeatures } from "../../src/xmpp/features.js";
import { outboundIntake } from "../../src/xmpp/outbound-intake.js";
import { FakeTransport } from "../harness/fake-transport.js";
import { MemoryQueues } from "../harness/memory-ports.js";
import { MemoryRegistrationStore } from "../harness/memory-registrations.js";
import { silentLogger } from "../harness/silent-logger.js";
import { DEFAULT_RULES, fakeAdapter } from "../unit/xmpp/setup.js";
import { configureProperties, stanzaTo } from "./arbitraries.js";

const DOMAIN = "sms.example.org";
const ALICE = "alice@example.org/phone";
const USERS = [ALICE, "bob@example.org/pc", "root@example.org/desk"];

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

beforeAll(() => {
  configureProperties(150);
  process.on("unhandledRejection", onRejection);
});
afterAll(() => {
  process.off("unhandledRejection", onRejection);
});

async function gateway() {
  const transport = new FakeTransport(DOMAIN);
  transport.goOnline();
  const registrations = new MemoryRegistrationStore();
  await registrations.put("sms", { jid: "alice@example.org", address: "+15550001111", source: "config" });
  await registrations.put("sms", { jid: "bob@example.org", address: "+15550002222", source: "config" });
  const producer = new MemoryQueues();
  const context = {
    gatewayId: "sms",
    transport,
    adapter: fakeAdapter(),
    registrations,
    allowedDomains: new Set(["example.org"]),
    logger: silentLogger,
  };
  const features = startFeatures({
    ...context,
    admins: new Set(["root@example.org"]),
    mode: "self-service",
    name: "SMS gateway",
  });
  // As component-role.ts wires it (the intake's promise is not awaited there either).
  const onMessage = outboundIntake({
    ...context,
    rules: DEFAULT_RULES,
    producer: producer as unknown as Producer,
  });
  const pending: Promise<void>[] = [];
  transport.on("stanza", (el) => {
    if (el.name === "message") pending.push(onMessage(el));
  });
  // Let the probes sent on "online" go out before the stanzas under test.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { transport, producer, features, pending };
}

/** The domain of a JID string (after the last "@" of the part before the first "/"). */
function domainOf(jid: string | undefined): string | undefined {
  if (jid === undefined) return undefined;
  const bare = jid.split("/")[0] ?? "";
  return bare.slice(bare.lastIndexOf("@") + 1);
}

const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

type Step = { kind: "valid"; n: number } | { kind: "random"; stanza: Element };

describe("the component's handlers under random stanzas", () => {
  const steps = fc.array(
    fc.oneof(
      { weight: 1, arbitrary: fc.nat(1_000_000).map((n): Step => ({ kind: "valid", n })) },
      { weight: 3, arbitrary: stanzaTo(DOMAIN, USERS).map((stanza): Step => ({ kind: "random", stanza })) },
    ),
    { minLength: 1, maxLength: 25 },
  );

  it("answers each stanza as the rules say, never throws and enqueues every valid message once", async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (list) => {
        const gw = await gateway();
        const { transport } = gw;
        const validIds: string[] = [];
        for (const [i, step] of list.entries()) {
          const stanza =
            step.kind === "valid"
              ? xml(
                  "message",
                  {
                    from: ALICE,
                    to: `+1555${String(step.n).padStart(7, "0")}@${DOMAIN}`,
                    type: "chat",
                    id: `valid-${i}`,
                  },
                  xml("body", {}, `valid message ${i}`),
                )
              : step.stanza;
          if (step.kind === "valid") validIds.push(`valid-${i}`);
          else if (stanza.attrs.id?.startsWith("valid-")) stanza.attrs.id = `x${stanza.attrs.id}`;
          const before = transport.sent.length;
          await transport.receive(stanza);
          await Promise.all(gw.pending);
          const replies = transport.sentSince(before);
          const { type, id } = stanza.attrs;
          for (const r of replies) {
            // Every stanza the component sends is from its own domain.
            expect(domainOf(r.attrs.from), r.toString().slice(0, 300)).toBe(DOMAIN);
          }
          if (type === "error") {
            expect(replies, "no reply to an error stanza").toEqual([]);
            continue;
          }
          if (stanza.name === "iq") {
            const toIq = replies.filter((r) => r.name === "iq" && r.attrs.id === id);
            // One reply to every iq but a result (errors were handled above): get and set are
            // answered, any other type is a bad-request (as @xmpp/iq's callee does).
            expect(toIq).toHaveLength(type === "result" ? 0 : 1);
          }
          if (stanza.name === "message") {
            expect(replies.length).toBeLessThanOrEqual(1);
            for (const r of replies) {
              expect(r.name).toBe("message");
              expect(r.attrs.type).toBe("error");
              expect(r.attrs.id).toBe(id);
              const cond = r
                .getChild("error")
                ?.getChildElements()
                .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== "text");
              expect(cond?.name).toBeDefined();
              expect(r.getChild("error")?.getChildText("text", NS_STANZAS)?.length ?? 0).toBeGreaterThan(0);
            }
            if (step.kind === "valid") expect(replies).toEqual([]);
          }
        }
        await gw.features.stop();
        expect(transport.handlerErrors.map((e) => e.message)).toEqual([]);
        const enqueued = [...gw.producer.outbound.values()].map((j) => j.stanzaId);
        for (const vid of validIds) expect(enqueued.filter((s) => s === vid)).toHaveLength(1);
        expect(rejections).toEqual([]);
      }),
    );
  });
});
