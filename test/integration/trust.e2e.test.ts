/**
 * Trust under hostile input (issue #9, items 4-6 and the operator-account fallback), end to end on
 * a real Prosody and Redis, real XMPP clients and the Twilio stand-in. Two self-service users with
 * their own Twilio accounts (anna, bea) and one operator-provisioned user (carol) on one gateway:
 * - a user's own Auth Token vouches for her own number only: bea's token can neither deliver a
 *   text To anna's number nor produce a receipt or an error for anna's message (held early or not);
 * - a replayed, older START does not reopen sending after a STOP;
 * - Redis holds no plaintext token, and a failed registration's error reply echoes no token;
 * - a self-service user's queued message does not go out on the operator's account once she has
 *   unregistered.
 * The gateway runs as two processes' worth of roles in this process: component + webhooks, and a
 * worker that the fallback test stops and starts again.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboundJobId } from "../../src/core/pipeline/jobs.js";
import { bullPrefix, outboundQueueName } from "../../src/queue/names.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { redisUrl } from "../harness/redis.js";
import {
  type RecordedRequest,
  signedTwilioPost,
  startTwilioStandIn,
  type TwilioStandIn,
  twilioSpecPath,
} from "../harness/twilio-standin.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, randomId, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-trust-6f2a";
const SMS = "sms.localhost";
const PUBLIC_URL = "https://trust.example.test";
const GATEWAY_SID = `AC${"7a".repeat(16)}`;
const GATEWAY_TOKEN = "gateway-token-trust-a81c";
const ANNA_SID = `AC${"a4".repeat(16)}`;
const ANNA_TOKEN = "anna-own-token-trust-51e0";
const ANNA_NUMBER = "+15550006161";
const BEA_SID = `AC${"b3".repeat(16)}`;
const BEA_TOKEN = "bea-own-token-trust-c3d9";
const BEA_NUMBER = "+15550006262";
const CAROL_NUMBER = "+15550006363";
const CREDENTIALS_KEY = Buffer.alloc(32, 7).toString("base64");
const NS = {
  register: "jabber:iq:register",
  data: "jabber:x:data",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  receipts: "urn:xmpp:receipts",
};

let counter = 0;
const newSid = () => `SM${(Date.now().toString(16) + (counter++).toString(16)).padStart(32, "0")}`;
const newContact = () => `+1555${String(7_000_000 + ((Date.now() + counter++ * 7919) % 2_999_999))}`;

const errorOf = (id: string) => (el: Element) =>
  el.is("message") && el.attrs.type === "error" && el.attrs.id === id;
const isReceipt = (id: string) => (el: Element) =>
  el.is("message") && el.getChild("received", NS.receipts)?.attrs.id === id;
const conditionOf = (el: Element) =>
  el
    .getChild("error")
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS.stanzas && c.name !== "text")?.name;
const errorText = (el: Element) => el.getChild("error")?.getChildText("text", NS.stanzas) ?? "";
const sidOf = (r: RecordedRequest): string => {
  const sid = (JSON.parse(r.response.body) as { sid?: unknown }).sid;
  if (typeof sid !== "string") throw new Error(`no sid in ${r.response.body}`);
  return sid;
};
const submit = (values: Record<string, string>) =>
  xml(
    "query",
    { xmlns: NS.register },
    xml(
      "x",
      { xmlns: NS.data, type: "submit" },
      ...Object.entries(values).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v))),
    ),
  );

describe.skipIf(!twilioSpecPath())("trust under hostile input, end to end on Prosody (issue #9)", () => {
  let server: XmppServer;
  let standIn: TwilioStandIn;
  let front: TestGateway;
  let worker: TestGateway;
  let redis: Redis;
  let anna: TestClient;
  let bea: TestClient;
  let carol: TestClient;
  const logs: string[][] = [];

  const config = () => ({
    xmpp: { service: server.componentService },
    allowedDomains: ["localhost"],
    queue: { outboundAttempts: 2, outboundBackoffMs: 100 },
    credentials: { keys: { "2026-12": "${CREDENTIALS_KEY}" }, currentKey: "2026-12" },
    gateways: [
      {
        id: "sms",
        domain: SMS,
        secret: "${SECRET}",
        adapter: "twilio",
        registration: { mode: "self-service" },
        twilio: { accountSid: GATEWAY_SID, authToken: "${TWILIO_TOKEN}", apiBaseUrl: standIn.baseUrl },
        users: [{ jid: "carol@localhost", number: CAROL_NUMBER }],
      },
    ],
  });
  const env = { SECRET, TWILIO_TOKEN: GATEWAY_TOKEN, CREDENTIALS_KEY };
  const startWorker = async () => {
    const w = await startTestGateway({
      publicUrl: PUBLIC_URL,
      env,
      roles: new Set(["worker"]),
      config: { ...config(), redis: { prefix: front.prefix } },
    });
    logs.push(w.logLines);
    return w;
  };

  const post = (route: "message" | "status", params: Record<string, string>, token: string) =>
    signedTwilioPost(`${front.localUrl}/webhooks/sms/${route}`, params, token, {
      signUrl: `${PUBLIC_URL}/webhooks/sms/${route}`,
    });
  const inbound = (p: Record<string, string>, token: string) =>
    post(
      "message",
      { NumMedia: "0", NumSegments: "1", SmsStatus: "received", ApiVersion: "2010-04-01", ...p },
      token,
    );
  const status = (p: Record<string, string>, token: string) =>
    post("status", { ApiVersion: "2010-04-01", SmsSid: p.MessageSid ?? "", ...p }, token);

  /** A text from `contact` to the user's number that she receives: everything posted before it has been handled. */
  async function marker(client: TestClient, to: string, sid: string, token: string) {
    const contact = newContact();
    const body = randomId("marker");
    expect(
      (await inbound({ AccountSid: sid, To: to, From: contact, MessageSid: newSid(), Body: body }, token))
        .status,
    ).toBe(200);
    await client.waitFor((el) => el.getChildText("body") === body, 15_000);
  }

  /** The error for message `id`; fails at once if a request matching `pred` reaches the stand-in first. */
  function errorBeforeRequest(client: TestClient, id: string, pred: (r: RecordedRequest) => boolean) {
    const reached = standIn.waitForRequest(pred, 15_000).then(
      (r) => Promise.reject(new Error(`the message reached Twilio (account ${r.accountSid})`)),
      () => new Promise<never>(() => undefined),
    );
    return Promise.race([client.waitFor(errorOf(id), 15_000), reached]);
  }

  /** Once the worker has recorded the provider's id of a message it sent. */
  const recorded = (sid: string) =>
    waitFor(async () => (await redis.exists(`{${front.prefix}}:msgmap:sms:${sid}`)) === 1, {
      timeoutMs: 15_000,
      description: `the worker to record ${sid}`,
    });

  async function register(client: TestClient, values: Record<string, string>): Promise<Element> {
    return client.iq(xml("iq", { type: "set", to: SMS }, submit(values)));
  }

  beforeAll(async () => {
    [server, standIn] = await Promise.all([
      startXmppServer("prosody", { components: [{ domain: SMS, secret: SECRET }] }),
      startTwilioStandIn({
        accounts: { [GATEWAY_SID]: GATEWAY_TOKEN, [ANNA_SID]: ANNA_TOKEN, [BEA_SID]: BEA_TOKEN },
        incomingNumbers: { [ANNA_SID]: [ANNA_NUMBER], [BEA_SID]: [BEA_NUMBER] },
      }),
    ]);
    await server.registerMany([
      { user: "anna", password: "anna-pw" },
      { user: "bea", password: "bea-pw" },
      { user: "carol", password: "carol-pw" },
    ]);
    front = await startTestGateway({
      publicUrl: PUBLIC_URL,
      env,
      roles: new Set(["component", "webhooks"]),
      config: config(),
    });
    logs.push(front.logLines);
    worker = await startWorker();
    await front.online();
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
    [anna, bea, carol] = await Promise.all([
      connectClient({ server, username: "anna", password: "anna-pw" }),
      connectClient({ server, username: "bea", password: "bea-pw" }),
      connectClient({ server, username: "carol", password: "carol-pw" }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([anna?.stop(), bea?.stop(), carol?.stop()]);
    await worker?.stop();
    await front?.stop();
    redis?.disconnect();
    await Promise.all([server?.stop(), standIn?.stop()]);
    const all = logs.flat().join("");
    for (const secret of [ANNA_TOKEN, BEA_TOKEN, GATEWAY_TOKEN, CREDENTIALS_KEY])
      expect(all).not.toContain(secret);
  }, 60_000);

  describe("secrets at rest and in replies", () => {
    it("echoes no token in the error reply of a failed registration", async () => {
      // A wrong token (Twilio refuses it) and a real one for a number of another account.
      const wrong = await register(bea, {
        number: BEA_NUMBER,
        accountSid: BEA_SID,
        authToken: "bea-typo-token-0b1e",
      });
      expect(wrong.attrs.type).toBe("error");
      expect(conditionOf(wrong)).toBe("not-authorized");
      expect(wrong.toString()).not.toContain("bea-typo-token-0b1e");
      const notHers = await register(bea, { number: ANNA_NUMBER, accountSid: BEA_SID, authToken: BEA_TOKEN });
      expect(notHers.attrs.type).toBe("error");
      expect(conditionOf(notHers)).toBe("item-not-found");
      expect(notHers.toString()).not.toContain(BEA_TOKEN);
    });

    it("registers both users with their own accounts and keeps no plaintext token in Redis", async () => {
      for (const [client, values] of [
        [anna, { number: ANNA_NUMBER, accountSid: ANNA_SID, authToken: ANNA_TOKEN }],
        [bea, { number: BEA_NUMBER, accountSid: BEA_SID, authToken: BEA_TOKEN }],
      ] as const) {
        expect((await register(client, values)).attrs.type).toBe("result");
      }
      const dump: string[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `{${front.prefix}}*`, "COUNT", 1000);
        cursor = next;
        for (const key of keys) dump.push(key, await dumpKey(redis, key));
      } while (cursor !== "0");
      const text = dump.join("\n");
      expect(text).toContain(ANNA_NUMBER); // the registrations are there ...
      expect(text).toContain("2026-12"); // sealed with the current key
      expect(text).not.toContain(ANNA_TOKEN); // ... without their tokens
      expect(text).not.toContain(BEA_TOKEN);
    });
  });

  describe("a self-service token vouches only for its own user", () => {
    it("refuses bea's token for a text To anna's number; anna's own token still delivers", async () => {
      const forged = randomId("forged");
      const res = await inbound(
        { AccountSid: BEA_SID, To: ANNA_NUMBER, From: BEA_NUMBER, MessageSid: newSid(), Body: forged },
        BEA_TOKEN,
      );
      expect(res.status).toBe(403);
      await marker(anna, ANNA_NUMBER, ANNA_SID, ANNA_TOKEN);
      expect(anna.received.filter((el) => el.getChildText("body") === forged)).toEqual([]);
    });

    it("drops a receipt or an error bea's token signs for anna's message; anna's own report applies", async () => {
      const contact = newContact();
      const id = randomId("anna-rcpt");
      await anna.send(
        xml(
          "message",
          { type: "chat", to: `${contact}@${SMS}`, id },
          xml("body", {}, "only my account reports on this"),
          xml("request", { xmlns: NS.receipts }),
        ),
      );
      const sent = await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      expect(sent.accountSid).toBe(ANNA_SID);
      const sid = sidOf(sent);
      await recorded(sid);
      for (const [MessageStatus, ErrorCode] of [["delivered"], ["undelivered", "30003"]] as const) {
        const forged = { AccountSid: BEA_SID, From: BEA_NUMBER, To: contact, MessageSid: sid, MessageStatus };
        const res = await status(ErrorCode ? { ...forged, ErrorCode } : forged, BEA_TOKEN);
        expect(res.status).toBe(200); // acknowledged (Twilio would retry otherwise), not applied
      }
      await marker(anna, ANNA_NUMBER, ANNA_SID, ANNA_TOKEN);
      expect(anna.received.filter((el) => isReceipt(id)(el) || errorOf(id)(el))).toEqual([]);
      const metrics = await (await fetch(`${front.internalUrl}/metrics`)).text();
      expect(metrics).toMatch(/xgw_delivery_reports_total\{gateway="sms",outcome="wrong-account"\} [2-9]/);

      const own = { AccountSid: ANNA_SID, From: ANNA_NUMBER, To: contact, MessageSid: sid };
      expect((await status({ ...own, MessageStatus: "delivered" }, ANNA_TOKEN)).status).toBe(200);
      await anna.waitFor(isReceipt(id), 15_000);
    });

    it("never applies a report bea's token signed before anna's message was recorded", async () => {
      const contact = newContact();
      const sid = newSid();
      let release: () => void = () => undefined;
      const hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      standIn.enqueueResponse({ status: 201, resource: { sid }, hold });
      const id = await anna.sendMessage(`${contact}@${SMS}`, "held at Twilio");
      await standIn.waitForRequest((r) => r.form.To === contact, 15_000);
      const forged = { AccountSid: BEA_SID, From: BEA_NUMBER, To: contact, MessageSid: sid };
      expect(
        (await status({ ...forged, MessageStatus: "failed", ErrorCode: "30007" }, BEA_TOKEN)).status,
      ).toBe(200);
      release();
      // The worker records the sid and takes the held report: it must not apply bea's.
      const own = { AccountSid: ANNA_SID, From: ANNA_NUMBER, To: contact, MessageSid: sid };
      await recorded(sid);
      expect(
        (await status({ ...own, MessageStatus: "undelivered", ErrorCode: "30003" }, ANNA_TOKEN)).status,
      ).toBe(200);
      const err = await anna.waitFor(errorOf(id), 15_000);
      expect(errorText(err)).toMatch(/30003/);
      await marker(anna, ANNA_NUMBER, ANNA_SID, ANNA_TOKEN);
      expect(anna.received.filter(errorOf(id))).toHaveLength(1);
    });
  });

  describe("replays and order", () => {
    it("does not reopen sending when an old signed START is replayed after a STOP", async () => {
      const contact = newContact();
      const start = newSid();
      const form = (MessageSid: string, Body: string) => ({
        AccountSid: GATEWAY_SID,
        To: CAROL_NUMBER,
        From: contact,
        MessageSid,
        Body,
        OptOutType: Body,
      });
      expect((await inbound(form(start, "START"), GATEWAY_TOKEN)).status).toBe(200);
      expect((await inbound(form(newSid(), "STOP"), GATEWAY_TOKEN)).status).toBe(200);
      await carol.waitFor((el) => el.getChildText("body") === "STOP", 15_000);
      // The attacker replays the START, signature and all.
      expect((await inbound(form(start, "START"), GATEWAY_TOKEN)).status).toBe(200);
      await marker(carol, CAROL_NUMBER, GATEWAY_SID, GATEWAY_TOKEN);
      const id = await carol.sendMessage(`${contact}@${SMS}`, "you said stop");
      const err = await errorBeforeRequest(carol, id, (r) => r.form.To === contact);
      expect(conditionOf(err)).toBe("forbidden");
      expect(standIn.requests.filter((r) => r.form.To === contact)).toEqual([]);
    });
  });

  describe("no fallback to the operator's account", () => {
    it("fails a message queued before its sender unregistered, without a provider request", async () => {
      await worker.stop();
      const contact = newContact();
      const body = randomId("queued-then-unregistered");
      const queue = new Queue(outboundQueueName("sms"), {
        connection: redis,
        prefix: bullPrefix(front.prefix),
      });
      try {
        const id = await anna.sendMessage(`${contact}@${SMS}`, body);
        const jobId = outboundJobId(anna.bareJid, id);
        await waitFor(async () => (await queue.getJob(jobId)) !== undefined, {
          timeoutMs: 10_000,
          description: "the message to be queued",
        });
        const removed = await anna.iq(
          xml("iq", { type: "set", to: SMS }, xml("query", { xmlns: NS.register }, xml("remove"))),
        );
        expect(removed.attrs.type).toBe("result");
        worker = await startWorker();
        const err = await errorBeforeRequest(anna, id, (r) => r.form.Body === body);
        expect(errorText(err)).toBe(
          "You are no longer registered on this gateway; the message was not sent.",
        );
        expect(await (await queue.getJob(jobId))?.getState()).toBe("failed");
        expect(standIn.requests.filter((r) => r.form.Body === body)).toEqual([]);
        expect(standIn.validationFailures()).toEqual([]);
      } finally {
        await queue.close();
      }
    });
  });
});

/** Everything a key holds, as text (strings, hashes, lists, sets, sorted sets, streams). */
async function dumpKey(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  if (type === "string") return (await redis.get(key)) ?? "";
  if (type === "hash") return JSON.stringify(await redis.hgetall(key));
  if (type === "list") return (await redis.lrange(key, 0, -1)).join("\n");
  if (type === "set") return (await redis.smembers(key)).join("\n");
  if (type === "zset") return (await redis.zrange(key, 0, -1)).join("\n");
  if (type === "stream") return JSON.stringify(await redis.xrange(key, "-", "+"));
  return "";
}
