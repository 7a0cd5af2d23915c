// Proves the integration-test harness itself: real Prosody and ejabberd with real logins, a
// restartable Redis, and the Twilio stand-in (prism validating Twilio's OpenAPI description).
import http from "node:http";
import { Redis } from "ioredis";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPortOpen, LOOPBACK } from "../harness/ports.js";
import { startRedis, type TestRedis } from "../harness/redis.js";
import {
  formValues,
  signedTwilioPost,
  startTwilioStandIn,
  type TwilioStandIn,
  twilioSpecPath,
} from "../harness/twilio-standin.js";
import { connectClient, type TestClient, xml } from "../harness/xmpp-client.js";
import { startXmppServer, XMPP_SERVER_KINDS, type XmppServer } from "../harness/xmpp-server.js";

const HOOK_TIMEOUT = 60_000;
const TEST_TIMEOUT = 60_000;

describe.each(XMPP_SERVER_KINDS)("%s", (kind) => {
  let server: XmppServer;
  const clients: TestClient[] = [];
  const users = [
    { user: "alice", password: "alice-pw" },
    { user: "bob", password: "bob-pw" },
  ];

  async function login(
    user: string,
    password: string,
    mechanism?: "PLAIN" | "SCRAM-SHA-1",
  ): Promise<TestClient> {
    const c = await connectClient({ server, username: user, password, ...(mechanism ? { mechanism } : {}) });
    clients.push(c);
    return c;
  }

  async function logoutAll(): Promise<void> {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  }

  beforeAll(async () => {
    server = await startXmppServer(kind, {
      components: [{ domain: "sms.localhost", secret: "harness-secret" }],
      extraHosts: ["other.localhost"],
    });
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await logoutAll();
    await server?.stop();
  }, HOOK_TIMEOUT);

  it(
    "listens on loopback c2s and component ports",
    async () => {
      expect(server.kind).toBe(kind);
      expect(server.domain).toBe("localhost");
      expect(server.componentService).toBe(`xmpp://127.0.0.1:${server.componentPort}`);
      expect(await isPortOpen(server.c2sPort)).toBe(true);
      expect(await isPortOpen(server.componentPort)).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "registers two users, logs both in and routes a chat message between them",
    async () => {
      await server.registerMany(users);
      const alice = await login("alice", "alice-pw");
      const bob = await login("bob", "bob-pw");
      expect(alice.bareJid).toBe("alice@localhost");
      expect(alice.jid.startsWith("alice@localhost/")).toBe(true);

      const id = await alice.sendMessage(bob.bareJid, "hello bob");
      const got = await bob.waitFor((el) => el.is("message") && el.attrs.id === id);
      expect(got.getChildText("body")).toBe("hello bob");
      expect(got.attrs.from).toBe(alice.jid);
      // the server answers a ping from the user
      const pong = await alice.iq(
        xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
      );
      expect(pong.attrs.type).toBe("result");
      await alice.expectNone((el) => el.is("message"), 200);
      await logoutAll();
    },
    TEST_TIMEOUT,
  );

  it(
    "stores a chat message for a user without a session and delivers it at login",
    async () => {
      await server.register("carol", "carol-pw");
      const alice = await login("alice", "alice-pw");
      const id = await alice.sendMessage("carol@localhost", "while you were away");
      await alice.expectNone((el) => el.attrs.type === "error", 300);
      const carol = await login("carol", "carol-pw");
      const got = await carol.waitFor((el) => el.is("message") && el.attrs.id === id);
      expect(got.getChildText("body")).toBe("while you were away");
      await logoutAll();
    },
    TEST_TIMEOUT,
  );

  it(
    "serves an extra virtual host",
    async () => {
      expect(server.hosts).toEqual(["localhost", "other.localhost"]);
      await server.register("mallory@other.localhost", "mallory-pw");
      await expect(server.register("eve@elsewhere.example", "x")).rejects.toThrow(/not on a host/);
      const mallory = await connectClient({
        server: { c2sPort: server.c2sPort, domain: "other.localhost" },
        username: "mallory",
        password: "mallory-pw",
      });
      clients.push(mallory);
      expect(mallory.bareJid).toBe("mallory@other.localhost");
      const alice = await login("alice", "alice-pw");
      const id = await mallory.sendMessage(alice.bareJid, "hello from the other host");
      const got = await alice.waitFor((el) => el.is("message") && el.attrs.id === id);
      expect(got.attrs.from).toBe(mallory.jid);
      await logoutAll();
    },
    TEST_TIMEOUT,
  );

  it(
    "also logs in with SCRAM-SHA-1 and refuses a wrong password",
    async () => {
      const c = await login("bob", "bob-pw", "SCRAM-SHA-1");
      expect(c.bareJid).toBe("bob@localhost");
      await expect(connectClient({ server, username: "alice", password: "wrong" })).rejects.toThrow(
        /not-authorized/,
      );
      await logoutAll();
    },
    TEST_TIMEOUT,
  );

  it(
    "restarts on the same ports with the accounts kept",
    async () => {
      const alice = await login("alice", "alice-pw");
      await server.stop();
      expect(await isPortOpen(server.c2sPort)).toBe(false);
      expect(await isPortOpen(server.componentPort)).toBe(false);
      await alice.waitForDisconnect();
      await logoutAll();

      await server.start();
      const a2 = await login("alice", "alice-pw");
      const b2 = await login("bob", "bob-pw");
      const id = await b2.sendMessage(a2.bareJid, "after restart");
      const got = await a2.waitFor((el) => el.is("message") && el.attrs.id === id);
      expect(got.getChildText("body")).toBe("after restart");
      await logoutAll();
    },
    TEST_TIMEOUT,
  );
});

describe("own redis-server", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis({ appendOnly: true });
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await redis?.stop();
  }, HOOK_TIMEOUT);

  it(
    "keeps AOF data across a restart and a crash",
    async () => {
      const put = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      await put.set("harness:key", "kept");
      put.disconnect();
      await redis.stop();
      expect(await isPortOpen(redis.port)).toBe(false);
      await redis.start();
      const get = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      expect(await get.get("harness:key")).toBe("kept");
      await get.set("harness:crash", "fsynced");
      get.disconnect();
      await redis.kill();
      await redis.start();
      const again = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      expect(await again.get("harness:crash")).toBe("fsynced");
      again.disconnect();
    },
    TEST_TIMEOUT,
  );
});

const AC = `AC${"0123456789abcdef".repeat(2)}`;
const TOKEN = "harness-auth-token";

describe.skipIf(!twilioSpecPath())("Twilio stand-in (prism proxy of Twilio's OpenAPI spec)", () => {
  let standIn: TwilioStandIn;
  beforeAll(async () => {
    standIn = await startTwilioStandIn();
  }, HOOK_TIMEOUT);
  afterAll(async () => {
    await standIn?.stop();
  }, HOOK_TIMEOUT);

  async function rawCreate(form: Record<string, string>): Promise<Response> {
    return fetch(`${standIn.baseUrl}/2010-04-01/Accounts/${AC}/Messages.json`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${AC}:${TOKEN}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(form).toString(),
    });
  }

  it(
    "records a valid request made by the twilio SDK",
    async () => {
      const client = standIn.sdkClient(AC, TOKEN);
      const msg = await client.messages.create({
        to: "+15551234567",
        from: "+15557654321",
        body: "hello from the SDK",
        statusCallback: "http://127.0.0.1:9/twilio/status",
        mediaUrl: ["https://example.com/cat.jpg"],
      });
      expect(msg.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(msg.to).toBe("+15551234567");
      expect(msg.status).toBe("queued");

      const r = await standIn.waitForRequest((q) => q.form.Body === "hello from the SDK");
      expect(r.method).toBe("POST");
      expect(r.path).toBe(`/2010-04-01/Accounts/${AC}/Messages.json`);
      expect(r.accountSid).toBe(AC);
      expect(r.auth).toEqual({ username: AC, password: TOKEN });
      expect(r.form).toMatchObject({
        To: "+15551234567",
        From: "+15557654321",
        StatusCallback: "http://127.0.0.1:9/twilio/status",
      });
      expect(formValues(r.form, "MediaUrl")).toEqual(["https://example.com/cat.jpg"]);
      expect(r.response.status).toBe(201);
      expect(Math.abs(Date.now() - r.receivedAt)).toBeLessThan(10_000);
      expect(JSON.parse(r.response.body).sid).toBe(msg.sid);

      // two media URLs, and an alphanumeric sender echoed back, also pass
      const two = await client.messages.create({
        to: "+15551234567",
        from: "ACMEINC",
        mediaUrl: ["https://example.com/a.jpg", "https://example.com/b.jpg"],
      });
      expect(two.numMedia).toBe("2");
      expect(two.sid).not.toBe(msg.sid);
      expect(standIn.validationFailures()).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "does not record an invalid request and reports why",
    async () => {
      const before = standIn.requests.length;
      const bad = standIn.sdkClient("ACnot-a-valid-sid", TOKEN);
      const err = await bad.messages.create({ to: "+15551234567", body: "nope" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(twilio.RestException);
      expect((err as twilio.RestException).status).toBe(422);
      const missingTo = await rawCreate({ Body: "no To", StatusCallback: "not a url" });
      expect(missingTo.status).toBe(422);

      expect(standIn.requests.length).toBe(before);
      const failures = standIn.validationFailures();
      expect(failures).toHaveLength(2);
      expect(failures[0]).toMatch(/ACnot-a-valid-sid.*422.*accountsid.*pattern/i);
      expect(failures[1]).toMatch(/required property 'To'/);
      expect(failures[1]).toMatch(/StatusCallback.*uri/);
    },
    TEST_TIMEOUT,
  );

  describe("enqueued answers", () => {
    it(
      "a 400 with code 21211 reaches the SDK as a RestException",
      async () => {
        const failuresBefore = standIn.validationFailures().length;
        standIn.enqueueResponse({ status: 400, code: 21211 });
        const client = standIn.sdkClient(AC, TOKEN);
        const err = await client.messages
          .create({ to: "+15550000000", from: "+15557654321", body: "x" })
          .catch((e) => e);
        expect(err).toBeInstanceOf(twilio.RestException);
        expect(err).toMatchObject({ status: 400, code: 21211 });
        expect(standIn.validationFailures().length).toBe(failuresBefore);
      },
      TEST_TIMEOUT,
    );

    it(
      "a 429 keeps its Retry-After header, a 500 and a 503 keep their status",
      async () => {
        const failuresBefore = standIn.validationFailures().length;
        standIn.enqueueResponse({ status: 429, retryAfterSeconds: 7 });
        const r429 = await rawCreate({ To: "+15551234567", Body: "a" });
        expect(r429.status).toBe(429);
        expect(r429.headers.get("retry-after")).toBe("7");
        expect(await r429.json()).toMatchObject({ code: 20429, status: 429 });

        standIn.enqueueResponse({ status: 500 });
        const r500 = await rawCreate({ To: "+15551234567", Body: "b" });
        expect(r500.status).toBe(500);
        expect(await r500.json()).toMatchObject({ code: 20500, status: 500 });

        standIn.enqueueResponse({ status: 503, retryAfterSeconds: 3 });
        const r503 = await rawCreate({ To: "+15551234567", Body: "c" });
        expect(r503.status).toBe(503);
        expect(r503.headers.get("retry-after")).toBe("3");

        // the SDK sees the same statuses
        standIn.enqueueResponse({ status: 429, retryAfterSeconds: 1 });
        const sdkErr = await standIn
          .sdkClient(AC, TOKEN)
          .messages.create({ to: "+15551234567", body: "d" })
          .catch((e) => e);
        expect(sdkErr).toMatchObject({ status: 429, code: 20429 });
        // undeclared statuses only produce prism warnings, not failures
        expect(standIn.validationFailures().length).toBe(failuresBefore);
      },
      TEST_TIMEOUT,
    );

    it(
      "a dropped connection reaches the client as a 5xx",
      async () => {
        const failuresBefore = standIn.validationFailures().length;
        standIn.enqueueResponse({ status: 201, hangUp: true });
        const res = await rawCreate({ To: "+15551234567", Body: "hang up" });
        expect(res.status).toBe(500);
        expect(await res.json()).toMatchObject({ type: "FetchError" });
        expect(standIn.validationFailures().length).toBe(failuresBefore);
      },
      TEST_TIMEOUT,
    );
  });
});

describe("signedTwilioPost", () => {
  let server: http.Server;
  let url: string;
  const seen: { valid: boolean; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString("utf8");
      });
      req.on("end", () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const signature = String(req.headers["x-twilio-signature"] ?? "");
        const valid = twilio.validateRequest(TOKEN, signature, url, params);
        seen.push({ valid, body });
        res.writeHead(valid ? 200 : 403);
        res.end(valid ? "ok" : "bad signature");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const address = server.address();
    url = `http://${LOOPBACK}:${typeof address === "object" && address ? address.port : 0}/twilio/sms?x=1`;
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }, HOOK_TIMEOUT);

  it(
    "signs as Twilio does, and can sign for another URL, omit or forge the signature",
    async () => {
      const params = {
        MessageSid: `SM${"a".repeat(32)}`,
        From: "+15551234567",
        To: "+15557654321",
        Body: "hi",
      };
      expect((await signedTwilioPost(url, params, TOKEN)).status).toBe(200);
      expect(
        (await signedTwilioPost(url, params, TOKEN, { signUrl: "https://public.example/twilio/sms" })).status,
      ).toBe(403);
      expect((await signedTwilioPost(url, params, TOKEN, { signature: null })).status).toBe(403);
      expect((await signedTwilioPost(url, params, TOKEN, { signature: "Zm9yZ2Vk" })).status).toBe(403);
      expect((await signedTwilioPost(url, params, "other-token")).status).toBe(403);
      expect(seen.map((s) => s.valid)).toEqual([true, false, false, false, false]);
    },
    TEST_TIMEOUT,
  );
});
