// The email adapter's outbound side with real parts: nodemailer -> a real Postfix -> a recording
// sink; threading across both directions; a bounce Postfix generates comes back through its
// transport map into the listener as a failed report for the sent Message-ID; and the relay's
// answers map to permanent (5xx) and retried (4xx, connection) errors.
import PostalMime from "postal-mime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmailAdapter, type EmailAdapter, memoryThreadStore } from "../../adapters/email/index.js";
import type { InboundEvent, OutboundMessage } from "../../src/core/adapter.js";
import { PermanentError, RetryableError } from "../../src/core/errors.js";
import { freePort } from "../harness/ports.js";
import { startPostfix, type TestPostfix } from "../harness/postfix.js";
import { silentLogger } from "../harness/silent-logger.js";
import { type SmtpSink, startSmtpSink } from "../harness/smtp-sink.js";
import { swaks } from "../harness/swaks.js";
import { waitFor } from "../harness/wait.js";

const DOMAIN = "mail.localhost";
const ALICE = `alice@${DOMAIN}`;
let jobs = 0;
const outbound = (to: string, body: string, extra: Record<string, unknown> = {}): OutboundMessage => ({
  to,
  from: ALICE,
  body,
  mediaUrls: [],
  messageId: `job-${++jobs}`,
  ...extra,
});

function emailAdapter(relayPort: number, listenPort: number, emitted: InboundEvent[]): EmailAdapter {
  return createEmailAdapter(
    {
      gatewayId: "mail",
      email: { listen: `127.0.0.1:${listenPort}`, relay: { host: "127.0.0.1", port: relayPort } },
    },
    {
      logger: silentLogger,
      emit: async (events) => {
        emitted.push(...events);
      },
      threads: memoryThreadStore(),
      isUser: async (address) => address === ALICE,
    },
  );
}

describe("email through Postfix", () => {
  let internet: SmtpSink;
  let postfix: TestPostfix;
  let adapter: EmailAdapter;
  const emitted: InboundEvent[] = [];

  beforeAll(async () => {
    const listenPort = await freePort();
    internet = await startSmtpSink();
    postfix = await startPostfix({ transports: { [DOMAIN]: listenPort }, relayPort: internet.port });
    adapter = emailAdapter(postfix.port, listenPort, emitted);
    await Promise.all(adapter.listeners.map((l) => l.start()));
  });

  afterAll(async () => {
    await Promise.all(adapter?.listeners.map((l) => l.close()) ?? []);
    await adapter?.close?.();
    await postfix?.stop();
    await internet?.close();
  });

  it("delivers a mail From the user To the contact with the body, media as links, threaded replies", async () => {
    const first = await adapter.send(
      outbound("bob@example.com", "Lunch tomorrow?", {
        subject: "Plans",
        senderName: "Alice",
        mediaUrls: ["https://media.example.org/map.png"],
      }),
      { number: ALICE },
    );
    const raw = (await internet.waitForMail("bob@example.com")).raw;
    const mail = await PostalMime.parse(raw);
    expect(mail.from).toEqual({ name: "Alice", address: ALICE });
    expect(mail.to?.[0]?.address).toBe("bob@example.com");
    expect(mail.subject).toBe("Plans");
    expect(mail.text?.trim()).toBe("Lunch tomorrow?\n\nhttps://media.example.org/map.png");
    expect(mail.messageId).toBe(`<${first.providerMessageId}>`);
    expect(mail.inReplyTo).toBeUndefined();

    // Bob answers (through the MTA, as from the internet); Alice's next mail replies to his.
    const r = await swaks({
      port: postfix.port,
      from: "bob@example.com",
      to: ALICE,
      header: [
        "Message-Id: <bob-reply@example.com>",
        `In-Reply-To: <${first.providerMessageId}>`,
        `References: <${first.providerMessageId}>`,
        "Subject: Re: Plans",
      ],
      body: "Yes!\n\nOn Tue, Alice wrote:\n> Lunch tomorrow?",
    });
    expect(r.code, r.transcript).toBe(0);
    const reply = await waitFor(
      () => emitted.find((e) => e.providerMessageId === `bob-reply@example.com/${ALICE}`),
      { description: "Bob's reply to be enqueued" },
    );
    expect(reply).toMatchObject({ kind: "message", from: "bob@example.com", to: ALICE, body: "Yes!" });

    await adapter.send(outbound("bob@example.com", "See you at noon"), { number: ALICE });
    const third = await PostalMime.parse((await internet.waitForMail("bob@example.com", 2)).raw);
    expect(third.inReplyTo).toBe("<bob-reply@example.com>");
    expect(third.references).toBe(`<${first.providerMessageId}> <bob-reply@example.com>`);
    expect(third.subject).toBe("See you at noon");
  });

  it("reports a bounce Postfix sends back as a failed delivery of the sent Message-ID", async () => {
    internet.refuse("gone@example.com", 550, "5.1.1 no such user here");
    const sent = await adapter.send(outbound("gone@example.com", "hello?"), { number: ALICE });
    const report = await waitFor(
      () => emitted.find((e) => e.kind === "status" && e.providerMessageId === sent.providerMessageId),
      { timeoutMs: 15_000, description: "the bounce to come back as a status event" },
    );
    expect(report).toMatchObject({ status: "failed", errorCode: "5.1.1" });
    expect(report.kind === "status" && report.reason).toContain("gone@example.com (status 5.1.1");
    expect(emitted.some((e) => e.kind === "message" && e.from.startsWith("mailer-daemon"))).toBe(false);
  });
});

describe("relay answers", () => {
  let sink: SmtpSink;
  let adapter: EmailAdapter;

  beforeAll(async () => {
    sink = await startSmtpSink();
    adapter = emailAdapter(sink.port, await freePort(), []);
  });

  afterAll(async () => {
    await adapter?.close?.();
    await sink?.close();
  });

  it("5xx is permanent and carries the relay's text", async () => {
    sink.refuse("nope@example.com", 550, "mailbox unavailable");
    const err = await adapter
      .send(outbound("nope@example.com", "x"), { number: ALICE })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain("mailbox unavailable");
  });

  it("4xx is retried", async () => {
    sink.refuse("later@example.com", 451, "greylisted");
    const err = await adapter
      .send(outbound("later@example.com", "x"), { number: ALICE })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
  });

  it("a relay that does not answer is retried", async () => {
    const dead = emailAdapter(await freePort(), await freePort(), []);
    try {
      const err = await dead
        .send(outbound("bob@example.com", "x"), { number: ALICE })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableError);
    } finally {
      await dead.close?.();
    }
  });
});
