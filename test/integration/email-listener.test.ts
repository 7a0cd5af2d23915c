// The email adapter's SMTP listener with real clients: swaks straight into it, and a real Postfix
// relaying into it through its transport map the way production would. It accepts only
// provisioned recipients (550 otherwise, nothing enqueued), refuses oversized mail (552), answers
// 250 only once the events are enqueued and 451 while enqueueing fails, so Postfix retries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmailAdapter, type EmailAdapter, memoryThreadStore } from "../../adapters/email/index.js";
import type { InboundEvent, InboundMessageEvent } from "../../src/core/adapter.js";
import { freePort } from "../harness/ports.js";
import { startPostfix, type TestPostfix } from "../harness/postfix.js";
import { silentLogger } from "../harness/silent-logger.js";
import { type SmtpSink, startSmtpSink } from "../harness/smtp-sink.js";
import { swaks } from "../harness/swaks.js";
import { waitFor } from "../harness/wait.js";

const DOMAIN = "mail.localhost";
const ALICE = `alice@${DOMAIN}`;
const MAX_BYTES = 64 * 1024;

describe("email listener", () => {
  let adapter: EmailAdapter;
  let port: number;
  let internet: SmtpSink;
  let postfix: TestPostfix;
  const emitted: InboundEvent[] = [];
  let emitFails = false;
  let lookupFails = false;

  beforeAll(async () => {
    port = await freePort();
    adapter = createEmailAdapter(
      {
        gatewayId: "mail",
        email: {
          listen: `127.0.0.1:${port}`,
          relay: { host: "127.0.0.1", port: 9 },
          maxMessageBytes: MAX_BYTES,
        },
      },
      {
        logger: silentLogger,
        emit: async (events) => {
          if (emitFails) throw new Error("Redis is away");
          emitted.push(...events);
        },
        threads: memoryThreadStore(),
        isUser: async (address) => {
          if (lookupFails) throw new Error("Redis is away");
          return address === ALICE;
        },
      },
    );
    await Promise.all(adapter.listeners.map((l) => l.start()));
    internet = await startSmtpSink();
    postfix = await startPostfix({ transports: { [DOMAIN]: port }, relayPort: internet.port });
  });

  afterAll(async () => {
    await postfix?.stop();
    await internet?.close();
    await Promise.all(adapter?.listeners.map((l) => l.close()) ?? []);
    await adapter?.close?.();
  });

  const messagesTo = (to: string) =>
    emitted.filter((e): e is InboundMessageEvent => e.kind === "message" && e.to === to);

  it("accepts mail for a provisioned address with 250 once it is enqueued", async () => {
    const r = await swaks({
      port,
      from: "bob@example.com",
      to: ALICE,
      header: ["From: Bob Example <bob@example.com>", "Subject: hello", "Message-Id: <swaks-1@example.com>"],
      body: "Hi Alice",
    });
    expect(r.code, r.transcript).toBe(0);
    expect(r.lastReply).toMatch(/^250 /);
    const got = messagesTo(ALICE).find((e) => e.providerMessageId === `swaks-1@example.com/${ALICE}`);
    expect(got).toMatchObject({
      from: "bob@example.com",
      body: "Subject: hello\n\nHi Alice",
      senderName: "Bob Example",
    });
  });

  it("answers 550 for any other recipient and enqueues nothing (never an open relay)", async () => {
    const before = emitted.length;
    for (const to of [`nobody@${DOMAIN}`, "bob@example.com"]) {
      const r = await swaks({ port, from: "spam@example.net", to });
      expect(r.code).not.toBe(0);
      expect(
        r.replies.some((l) => /^550 /.test(l)),
        r.transcript,
      ).toBe(true);
    }
    expect(emitted.length).toBe(before);
  });

  it("refuses an oversized mail with 552", async () => {
    const before = emitted.length;
    const r = await swaks({
      port,
      from: "bob@example.com",
      to: ALICE,
      data: `From: bob@example.com\r\nSubject: big\r\n\r\n${"x".repeat(76)}\r\n`.repeat(1000),
    });
    expect(r.lastReply, r.transcript).toMatch(/^552 /);
    expect(emitted.length).toBe(before);
  });

  it("answers 451 while enqueueing fails or the recipient cannot be looked up", async () => {
    emitFails = true;
    try {
      const r = await swaks({ port, from: "bob@example.com", to: ALICE, body: "later" });
      expect(r.lastReply, r.transcript).toMatch(/^451 /);
    } finally {
      emitFails = false;
    }
    lookupFails = true;
    try {
      const r = await swaks({ port, from: "bob@example.com", to: ALICE, body: "later" });
      expect(
        r.replies.some((l) => /^451 /.test(l)),
        r.transcript,
      ).toBe(true);
    } finally {
      lookupFails = false;
    }
  });

  it("takes mail relayed by Postfix, which retries it while the listener answers 451", async () => {
    emitFails = true;
    const r = await swaks({
      port: postfix.port,
      from: "bob@example.com",
      to: ALICE,
      header: ["Message-Id: <via-postfix@example.com>", "Subject: through the MTA"],
      body: "relayed",
    });
    expect(r.code, r.transcript).toBe(0);
    await waitFor(() => postfix.deliveries("deferred").some((l) => l.includes("451")), {
      timeoutMs: 10_000,
      description: "Postfix to defer the mail on 451",
    });
    expect(messagesTo(ALICE).some((e) => e.providerMessageId.startsWith("via-postfix@"))).toBe(false);
    emitFails = false;
    await postfix.flush();
    const got = await waitFor(
      () => messagesTo(ALICE).find((e) => e.providerMessageId === `via-postfix@example.com/${ALICE}`),
      { timeoutMs: 15_000, description: "the retried mail to be enqueued" },
    );
    expect(got.body).toBe("Subject: through the MTA\n\nrelayed");
    await waitFor(async () => (await postfix.queued()) === 0, {
      timeoutMs: 10_000,
      description: "an empty queue",
    });
  });
});
