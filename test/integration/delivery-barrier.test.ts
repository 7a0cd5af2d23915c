/**
 * The delivery barrier (issue #9, item 1, second half), on a real Prosody and Redis with a TCP
 * proxy between the gateway and the server's component port: the stream dies right after the
 * gateway wrote deliveries to it, either because the server stops parsing (an invalid byte in front
 * of them: `not-well-formed`) or because the connection drops. Those deliveries were written to
 * the socket but never reached the server; they must be retried after the reconnect and reach the
 * user once each (counted by stanza id), not count as delivered.
 */
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboundJobId } from "../../src/core/pipeline/jobs.js";
import { attemptsBefore } from "../../src/queue/batch-job.js";
import { bullPrefix, toXmppQueueName } from "../../src/queue/names.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { redisUrl } from "../harness/redis.js";
import { startTcpProxy, type TcpProxy } from "../harness/tcp-proxy.js";
import { signedTwilioPost } from "../harness/twilio-standin.js";
import { withTimeout } from "../harness/wait.js";
import { connectClient, describeStanzas, type Element, type TestClient } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "component-secret-barrier-3f9a";
const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
const AUTH_TOKEN = "twilio-auth-token-barrier-c6e1";
const ALICE_NUMBER = "+15550001111";
const CONTACT = "+15557654321";
const COMPONENT = "sms.localhost";
const MESSAGES = 12;

const newSid = () => `SM${randomBytes(16).toString("hex")}`;

describe("deliveries written to a stream that dies are retried, not counted delivered (Prosody)", () => {
  let server: XmppServer;
  let proxy: TcpProxy;
  let gw: TestGateway;
  let alice: TestClient;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: COMPONENT, secret: SECRET }] });
    await server.register("alice", "alice-pw");
    proxy = await startTcpProxy(server.componentPort);
    gw = await startTestGateway({
      env: { SECRET, TWILIO_TOKEN: AUTH_TOKEN },
      config: {
        xmpp: {
          service: `xmpp://127.0.0.1:${proxy.port}`,
          // No periodic ping in the way: the chunks sabotaged are the deliveries.
          pingIntervalMs: 600_000,
          reconnectInitialDelayMs: 50,
          reconnectMaxDelayMs: 200,
        },
        allowedDomains: ["localhost"],
        gateways: [
          {
            id: "sms",
            domain: COMPONENT,
            secret: "${SECRET}",
            adapter: "twilio",
            twilio: {
              accountSid: ACCOUNT_SID,
              authToken: "${TWILIO_TOKEN}",
              apiBaseUrl: "http://127.0.0.1:9",
            },
            users: [{ jid: "alice@localhost", number: ALICE_NUMBER }],
          },
        ],
      },
    });
    await gw.online();
    alice = await connectClient({ server, username: "alice", password: "alice-pw" });
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    queue = new Queue(toXmppQueueName("sms"), { connection: redis, prefix: bullPrefix(gw.prefix) });
  }, 120_000);

  afterAll(async () => {
    await alice?.stop();
    await queue?.close();
    await redis?.quit();
    await gw?.stop();
    await proxy?.close();
    await server?.stop();
  }, 60_000);

  it.each(["poison", "drop"] as const)(
    "the stream dies right after the writes (%s): every delivery arrives once after the reconnect",
    async (how) => {
      const connectionsBefore = proxy.connections;
      const tag = `${how}-${randomBytes(3).toString("hex")}`;
      const sabotaged = proxy.sabotage(how, (chunk) => chunk.includes(`<body>${tag}`));
      const sids = Array.from({ length: MESSAGES }, newSid);
      const posts = await Promise.all(
        sids.map((sid, i) =>
          signedTwilioPost(
            `${gw.localUrl}/webhooks/sms/message`,
            {
              AccountSid: ACCOUNT_SID,
              MessageSid: sid,
              From: CONTACT,
              To: ALICE_NUMBER,
              Body: `${tag} ${i}`,
            },
            AUTH_TOKEN,
          ),
        ),
      );
      expect(posts.map((p) => p.status)).toEqual(sids.map(() => 200));
      const chunk = await withTimeout(sabotaged, 15_000, "a delivery chunk to sabotage");
      const inChunk = sids.filter((sid) => chunk.includes(inboundJobId(sid)));
      expect(inChunk.length).toBeGreaterThan(0);

      const ids = sids.map(inboundJobId);
      const isOurs = (el: Element) => el.is("message") && ids.includes(el.attrs.id ?? "");
      await alice.waitForCount(isOurs, MESSAGES, 20_000).catch(() => undefined);
      const count = (id: string) => alice.received.filter((el) => isOurs(el) && el.attrs.id === id).length;
      const lost = ids.filter((id) => count(id) === 0);
      const states = await Promise.all(lost.map(async (id) => `${id}: ${await queue.getJobState(id)}`));
      expect(states, `lost; alice got:\n${describeStanzas(alice.received, 5)}`).toEqual([]);
      expect(ids.filter((id) => count(id) > 1)).toEqual([]);
      // The deliveries in the sabotaged chunk failed their first attempt for want of a confirmation
      // and were tried again (same id, same stanza id): as the same job, or, when the first try was
      // inside a batch job, as the job of its own it left the batch as (that try counted in).
      for (const sid of inChunk) {
        const job = await queue.getJob(inboundJobId(sid));
        expect((job?.attemptsStarted ?? 0) + attemptsBefore(job?.data)).toBeGreaterThanOrEqual(2);
        const retried = gw.logLines.filter((l) => l.includes(inboundJobId(sid)) && l.includes("tried again"));
        expect(retried.join("\n")).toMatch(/before the server confirmed/);
      }
      expect(proxy.connections).toBeGreaterThan(connectionsBefore);
    },
    60_000,
  );
});
