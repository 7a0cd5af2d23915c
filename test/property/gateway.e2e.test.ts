/**
 * Bad input against the running gateway: real Prosody, real Redis, the gateway in-process with the
 * Twilio adapter pointed at a tiny local Messages API sink, real XMPP clients and raw HTTP/TCP.
 *
 * Each run of the property interleaves, in a random order: valid outbound messages (alice),
 * valid signed inbound webhooks, random malformed stanzas sent by a second registered user (the
 * server rejects some itself and may close that client's stream: it reconnects) and malformed
 * webhooks (garbage, wrong content types, JSON, multipart, oversized, unsigned, badly signed,
 * signed but missing or mistyped fields, invalid percent-encoding, raw non-HTTP bytes). Then:
 * the gateway still answers /healthz and its component is online, every bad webhook got the 4xx
 * its kind calls for (never a 5xx, never a hang), every valid outbound message reached the sink
 * exactly once and every accepted inbound webhook reached alice exactly once.
 *
 * Hostile inbound texts (issue #9): signed webhooks whose Body, From, MediaUrl0 and an extra field
 * hold random code points, those XML 1.0 forbids (U+000C, U+0001, U+FFFE, lone surrogates...) and
 * astral ones included. The component must never be dropped (Prosody closes the stream on a raw
 * forbidden character), and each one accepted reaches alice once, from the contact's full JID,
 * with forbidden characters replaced by U+FFFD (media URLs percent-encoded).
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import type { Element as ComponentElement } from "@xmpp/component";
import { Queue } from "bullmq";
import fc from "fast-check";
import { Redis } from "ioredis";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboundJobId } from "../../src/core/pipeline/jobs.js";
import { parseForm } from "../../src/http/form.js";
import { bullPrefix, outboundQueueName } from "../../src/queue/names.js";
import { xmlSafe } from "../../src/xmpp/xml-chars.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { redisUrl } from "../harness/redis.js";
import { waitFor, withTimeout } from "../harness/wait.js";
import { connectClient, type Element, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";
import { configureProperties, hostileText, SEED, stanzaTo, wildString } from "./arbitraries.js";

const COMPONENT = "sms.localhost";
const SECRET = "component-secret-property-5d1c";
const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const AUTH_TOKEN = "twilio-auth-token-property-77e0";
const ALICE_NUMBER = "+15550001111";
const BOB_NUMBER = "+15550002222";
const BODY_LIMIT = 16 * 1024;
const RUNS = 5;
const STEPS = 100;

/** A Twilio Messages API stand-in that records every message it is asked to send. */
interface Sink {
  readonly url: string;
  readonly bodies: string[];
  close(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      bodies.push(form.get("Body") ?? "");
      res.writeHead(201, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          sid: `SM${randomBytes(16).toString("hex")}`,
          account_sid: ACCOUNT_SID,
          to: form.get("To"),
          from: form.get("From"),
          body: form.get("Body"),
          status: "queued",
          num_segments: "1",
          num_media: "0",
          direction: "outbound-api",
          api_version: "2010-04-01",
          date_created: new Date().toUTCString(),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One HTTP exchange with a bounded wait; a hang fails the test. */
async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  method = "POST",
): Promise<number> {
  const res = await fetch(url, {
    method,
    headers,
    body: method === "GET" ? undefined : body,
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Raw bytes on a TCP connection; resolves with the status of the answer (0 if none came). */
function rawTcp(port: number, bytes: Buffer): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => socket.end(bytes));
      let answer = "";
      socket.on("data", (d: Buffer) => {
        answer += d.toString("latin1");
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0)));
    }),
    10_000,
    "an answer to raw bytes",
  );
}

interface BadWebhook {
  readonly kind: string;
  readonly expect: number;
  readonly send: (gw: TestGateway) => Promise<number>;
  readonly [fc.toStringMethod]?: () => string;
}

/** A counterexample prints as its kind and expected status, not as function source. */
function named(w: BadWebhook): BadWebhook {
  return { ...w, [fc.toStringMethod]: () => `${w.kind} (expects ${w.expect})` };
}

const sid = () => `SM${randomBytes(16).toString("hex")}`;

function signedBody(url: string, body: string, extra: Record<string, string> = {}) {
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, parseForm(body));
  return { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, ...extra };
}

const validMessageForm = () => ({ MessageSid: sid(), From: "+15557654321", To: ALICE_NUMBER, Body: "x" });

/** Malformed webhooks, each with the status it must get. */
const badWebhook: fc.Arbitrary<BadWebhook> = fc
  .oneof(
    fc.tuple(fc.constantFrom("message", "status"), wildString(200)).map(
      ([route, garbage]): BadWebhook => ({
        kind: "unsigned garbage form",
        expect: 403,
        send: (gw) =>
          post(`${gw.localUrl}/webhooks/sms/${route}`, garbage, {
            "content-type": "application/x-www-form-urlencoded",
          }),
      }),
    ),
    fc
      .tuple(
        wildString(40),
        fc.string({ unit: fc.constantFrom("%", "z", "&", "=", "1", "\ud800"), maxLength: 50 }),
      )
      .map(
        ([sig, body]): BadWebhook => ({
          kind: "wrong signature, invalid percent-encoding",
          expect: 403,
          send: (gw) =>
            post(`${gw.localUrl}/webhooks/sms/message`, body, {
              "content-type": "application/x-www-form-urlencoded",
              "x-twilio-signature": Buffer.from(`x${sig}`).toString("base64"),
            }),
        }),
      ),
    fc
      .constantFrom<[string, (f: Record<string, string>) => string]>(
        ["no MessageSid", ({ MessageSid: _, ...f }) => new URLSearchParams(f).toString()],
        ["no From", ({ From: _, ...f }) => new URLSearchParams(f).toString()],
        ["bad MessageSid", (f) => new URLSearchParams({ ...f, MessageSid: "SM123" }).toString()],
        ["NumMedia not a number", (f) => new URLSearchParams({ ...f, NumMedia: "two" }).toString()],
        ["NumMedia too big", (f) => new URLSearchParams({ ...f, NumMedia: "11" }).toString()],
        ["MediaUrl missing", (f) => new URLSearchParams({ ...f, NumMedia: "1" }).toString()],
        [
          "MediaUrl not http",
          (f) => new URLSearchParams({ ...f, NumMedia: "1", MediaUrl0: "file:///etc/passwd" }).toString(),
        ],
        ["Body repeated", (f) => `${new URLSearchParams(f).toString()}&Body=again`],
        ["To repeated", (f) => `${new URLSearchParams(f).toString()}&To=%2B15550009999`],
      )
      .map(
        ([what, make]): BadWebhook => ({
          kind: `signed message webhook, ${what}`,
          expect: 400,
          send: (gw) => {
            const url = `${gw.localUrl}/webhooks/sms/message`;
            const body = make(validMessageForm());
            return post(url, body, signedBody(url, body));
          },
        }),
      ),
    fc.constantFrom("", "abc", "1.5").map(
      (code): BadWebhook => ({
        kind: `signed status webhook, bad ErrorCode "${code}" or no status`,
        expect: 400,
        send: (gw) => {
          const url = `${gw.localUrl}/webhooks/sms/status`;
          const body = new URLSearchParams(
            code === ""
              ? { MessageSid: sid() }
              : { MessageSid: sid(), MessageStatus: "failed", ErrorCode: code },
          ).toString();
          return post(url, body, signedBody(url, body));
        },
      }),
    ),
    fc
      .constantFrom<[string, string, number]>(
        ["application/json", JSON.stringify({ MessageSid: sid(), Body: "json" }), 415],
        ["application/json", '{"MessageSid": ', 400],
        [
          "multipart/form-data; boundary=XyZ",
          '--XyZ\r\nContent-Disposition: form-data; name="Body"\r\n\r\nhi\r\n--XyZ--\r\n',
          415,
        ],
        ["text/plain", "Body=hi", 415],
        ["application/xml", "<Body>hi</Body>", 415],
        ["", "Body=hi", 415],
      )
      .map(
        ([type, body, status]): BadWebhook => ({
          kind: `content type "${type}"`,
          expect: status,
          send: (gw) =>
            post(`${gw.localUrl}/webhooks/sms/message`, body, type === "" ? {} : { "content-type": type }),
        }),
      ),
    fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT * 8 }).map(
      (size): BadWebhook => ({
        kind: `oversized form (${size} bytes)`,
        expect: 413,
        send: (gw) => {
          const url = `${gw.localUrl}/webhooks/sms/message`;
          const body = `Body=${"a".repeat(size)}`;
          return post(url, body, signedBody(url, body));
        },
      }),
    ),
    fc.constantFrom("GET", "PUT", "DELETE").map(
      (method): BadWebhook => ({
        kind: `${method} on a webhook`,
        expect: 404,
        send: (gw) =>
          post(
            `${gw.localUrl}/webhooks/sms/message`,
            "Body=x",
            { "content-type": "application/x-www-form-urlencoded" },
            method,
          ),
      }),
    ),
    fc.constant<BadWebhook>({
      kind: "unknown gateway",
      expect: 404,
      send: (gw) =>
        post(`${gw.localUrl}/webhooks/nope/message`, "Body=x", {
          "content-type": "application/x-www-form-urlencoded",
        }),
    }),
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map(
      (bytes): BadWebhook => ({
        kind: "raw non-HTTP bytes",
        expect: 400,
        // "X" first: a request line Node's parser refuses (leading blank lines would just be skipped).
        send: (gw) =>
          rawTcp(
            Number(new URL(gw.localUrl).port),
            Buffer.concat([Buffer.from("X\u0001 "), bytes, Buffer.from("\r\n\r\n")]),
          ),
      }),
    ),
  )
  .map(named);

/** The same tree as the client library's Element (the two packages ship separate types). */
function forClient(el: ComponentElement): Element {
  return xml(el.name, { ...el.attrs }, ...el.children.map((c) => (typeof c === "string" ? c : forClient(c))));
}

type Step =
  | { kind: "outbound" }
  | { kind: "inbound" }
  | { kind: "stanza"; stanza: ComponentElement }
  | { kind: "webhook"; webhook: BadWebhook }
  | { kind: "hostile"; fields: Record<string, string> };

/** Inbound webhook fields with random code points in every one a sender controls. */
const hostileFields: fc.Arbitrary<Record<string, string>> = fc
  .record({
    Body: hostileText(60),
    From: fc.oneof(hostileText(24), fc.constant("+15557654321")),
    media: fc.option(hostileText(24), { nil: undefined }),
    ProfileName: hostileText(16),
  })
  .map(({ media, ...f }) =>
    media === undefined ? f : { ...f, NumMedia: "1", MediaUrl0: `https://media.example.test/${media}` },
  );

/** What the server hands a client for a text the component wrote: XML line ends are normalized. */
const asReceived = (s: string) => xmlSafe(s).replace(/\r\n?/g, "\n");

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Step>({ kind: "outbound" }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: "inbound" }) },
  {
    weight: 3,
    arbitrary: stanzaTo(COMPONENT, ["bob@localhost"]).map((stanza): Step => {
      // The server stamps `from` itself; a forged one would only get bob disconnected.
      delete stanza.attrs.from;
      return { kind: "stanza", stanza };
    }),
  },
  { weight: 3, arbitrary: badWebhook.map((webhook): Step => ({ kind: "webhook", webhook })) },
  { weight: 2, arbitrary: hostileFields.map((fields): Step => ({ kind: "hostile", fields })) },
);

describe("the running gateway under bad input (Prosody, Redis, Twilio adapter)", () => {
  let server: XmppServer;
  let sink: Sink;
  let gw: TestGateway;
  let alice: TestClient;
  let bob: TestClient | undefined;
  let bobUp = false;
  let redis: Redis;
  let queue: Queue;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  /** Times the component lost its stream: must stay 0. */
  let componentDrops = 0;

  const connectBob = async (): Promise<TestClient> => {
    if (bob && bobUp) return bob;
    await bob?.stop();
    const client = await connectClient({ server, username: "bob", password: "bob-pw" });
    bobUp = true;
    const down = () => {
      if (bob === client) bobUp = false;
    };
    client.xmpp.on("offline", down);
    client.xmpp.on("disconnect", down);
    bob = client;
    return client;
  };

  beforeAll(async () => {
    configureProperties(RUNS);
    process.on("unhandledRejection", onRejection);
    [server, sink] = await Promise.all([
      startXmppServer("prosody", { components: [{ domain: COMPONENT, secret: SECRET }] }),
      startSink(),
    ]);
    await server.registerMany([
      { user: "alice", password: "alice-pw" },
      { user: "bob", password: "bob-pw" },
    ]);
    gw = await startTestGateway({
      env: { SMS_SECRET: SECRET, TWILIO_TOKEN: AUTH_TOKEN },
      config: {
        xmpp: { service: server.componentService, reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 1000 },
        http: { bodyLimitBytes: BODY_LIMIT },
        allowedDomains: ["localhost"],
        queue: { outboundAttempts: 3, outboundBackoffMs: 100 },
        gateways: [
          {
            id: "sms",
            domain: COMPONENT,
            secret: "${SMS_SECRET}",
            adapter: "twilio",
            defaultRegion: "US",
            twilio: { accountSid: ACCOUNT_SID, authToken: "${TWILIO_TOKEN}", apiBaseUrl: sink.url },
            users: [
              { jid: "alice@localhost", number: ALICE_NUMBER },
              { jid: "bob@localhost", number: BOB_NUMBER },
            ],
            // Hundreds of runs from two users in a minute or two: limits far above that.
            limits: {
              perUser: {
                messagesPerMinute: 1_000_000,
                messagesBurst: 1_000_000,
                messagesPerDay: 1_000_000,
                segmentsPerMinute: 1_000_000,
                segmentsBurst: 1_000_000,
                segmentsPerDay: 1_000_000,
              },
            },
          },
        ],
      },
    });
    await gw.online();
    gw.gateway.transports.get("sms")?.on("offline", () => componentDrops++);
    alice = await connectClient({ server, username: "alice", password: "alice-pw" });
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    queue = new Queue(outboundQueueName("sms"), { connection: redis, prefix: bullPrefix(gw.prefix) });
  }, 120_000);

  afterAll(async () => {
    process.off("unhandledRejection", onRejection);
    await Promise.all([alice?.stop(), bob?.stop()]);
    await queue?.close();
    await redis?.quit();
    await gw?.stop();
    await Promise.all([server?.stop(), sink?.close()]);
    const logs = gw?.logLines.join("") ?? "";
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(AUTH_TOKEN);
  }, 60_000);

  it(`keeps answering, refuses bad input with 4xx and loses nothing (seed ${SEED})`, async () => {
    let run = 0;
    const totals = {
      outbound: 0,
      inbound: 0,
      stanzas: 0,
      webhooks: 0,
      bobReconnects: 0,
      hostileAccepted: 0,
      hostileRefused: 0,
    };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: STEPS, maxLength: STEPS }), async (steps) => {
        run++;
        const outbound: string[] = [];
        const inbound: string[] = [];
        const hostile: { id: string; fields: Record<string, string | string[]> }[] = [];
        const wrong: string[] = [];
        for (const [i, s] of steps.entries()) {
          if (s.kind === "outbound") {
            const body = `valid-out-${SEED}-${run}-${i}`;
            outbound.push(body);
            await alice.sendMessage(`+1555765${String(i).padStart(4, "0")}@${COMPONENT}`, body);
          } else if (s.kind === "inbound") {
            const body = `valid-in-${SEED}-${run}-${i}`;
            const url = `${gw.localUrl}/webhooks/sms/message`;
            const form = new URLSearchParams({ ...validMessageForm(), Body: body }).toString();
            const status = await post(url, form, signedBody(url, form));
            // Answered 200 means accepted: it must then reach alice.
            expect(status, `valid inbound webhook ${body}`).toBe(200);
            inbound.push(body);
          } else if (s.kind === "stanza") {
            if (!bobUp) totals.bobReconnects++;
            const client = await connectBob();
            await client.send(forClient(s.stanza)).catch(() => {
              bobUp = false;
            });
            totals.stanzas++;
          } else if (s.kind === "hostile") {
            const url = `${gw.localUrl}/webhooks/sms/message`;
            const messageSid = sid();
            const form = new URLSearchParams({ ...validMessageForm(), ...s.fields, MessageSid: messageSid });
            const body = form.toString();
            const status = await post(url, body, signedBody(url, body));
            // Refused only where the webhook's checks say so (an empty From, a MediaUrl that is no URL).
            if (status === 200) hostile.push({ id: inboundJobId(messageSid), fields: parseForm(body) });
            else if (status === 400) totals.hostileRefused++;
            else wrong.push(`hostile inbound webhook: got ${status}: ${JSON.stringify(s.fields)}`);
          } else {
            const status = await s.webhook.send(gw);
            totals.webhooks++;
            if (status !== s.webhook.expect)
              wrong.push(`${s.webhook.kind}: got ${status}, expected ${s.webhook.expect}`);
          }
        }
        totals.outbound += outbound.length;
        totals.inbound += inbound.length;
        expect(wrong).toEqual([]);

        // Still up: /healthz answers and the component is online.
        const health = await fetch(`${gw.localUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
        expect(health.status).toBe(200);
        await gw.online(15_000);

        // Every valid outbound message reaches the sink, and the queue drains: then exactly once.
        await waitFor(() => outbound.every((b) => sink.bodies.includes(b)), {
          timeoutMs: 30_000,
          description: `${outbound.length} valid outbound messages at the sink`,
        });
        await waitFor(
          async () => {
            const c = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
            return Object.values(c).every((n) => n === 0);
          },
          { timeoutMs: 30_000, description: "the outbound queue to drain" },
        );
        for (const b of outbound)
          expect(
            sink.bodies.filter((x) => x === b),
            b,
          ).toHaveLength(1);

        // Every accepted inbound webhook reaches alice exactly once.
        const isInbound = (b: string) => (el: Element) => el.is("message") && el.getChildText("body") === b;
        for (const b of inbound) await alice.waitFor(isInbound(b), 15_000);
        for (const b of inbound) expect(alice.received.filter(isInbound(b)), b).toHaveLength(1);

        // Every accepted hostile one too, by stanza id, with forbidden characters replaced.
        for (const { id, fields } of hostile) {
          const text = String(fields.Body ?? "");
          const media = fields.MediaUrl0 === undefined ? undefined : new URL(String(fields.MediaUrl0)).href;
          const expected = [
            ...(text.length > 0 || media === undefined ? [{ id, body: asReceived(text) }] : []),
            ...(media === undefined ? [] : [{ id: `${id}-media1`, body: media }]),
          ];
          for (const e of expected) {
            const withId = (el: Element) => el.is("message") && el.attrs.id === e.id;
            const el = await alice.waitFor(withId, 15_000);
            expect(el.getChildText("body"), JSON.stringify(fields)).toBe(e.body);
            expect(el.attrs.from?.endsWith(`@${COMPONENT}/sms`), el.attrs.from).toBe(true);
            expect(alice.received.filter(withId)).toHaveLength(1);
          }
        }
        totals.hostileAccepted += hostile.length;
        expect(componentDrops).toBe(0);
        expect(rejections).toEqual([]);
      }),
    );
    console.log(`bad input e2e (seed ${SEED}): ${JSON.stringify(totals)}`);
    expect(totals.webhooks).toBeGreaterThan(0);
    expect(totals.stanzas).toBeGreaterThan(0);
    expect(totals.hostileAccepted).toBeGreaterThan(0);
    expect(componentDrops).toBe(0);
  }, 240_000);
});
