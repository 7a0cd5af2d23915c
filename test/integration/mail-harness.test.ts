// Proves the mail parts of the harness: a private Postfix on loopback ports relays mail for the
// internet to a recording sink, hands the gateway's domain to its listener (here a second sink),
// bounces what the sink refuses back to the sender's domain, and retries what was deferred.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostfix, type TestPostfix } from "../harness/postfix.js";
import { type SmtpSink, startSmtpSink } from "../harness/smtp-sink.js";
import { swaks } from "../harness/swaks.js";

const GATEWAY_DOMAIN = "mail.localhost";

describe("postfix, sink and swaks", () => {
  let internet: SmtpSink;
  let gateway: SmtpSink;
  let postfix: TestPostfix;
  let startMs = 0;

  beforeAll(async () => {
    internet = await startSmtpSink();
    gateway = await startSmtpSink();
    const t0 = Date.now();
    postfix = await startPostfix({
      transports: { [GATEWAY_DOMAIN]: gateway.port },
      relayPort: internet.port,
    });
    startMs = Date.now() - t0;
  });

  afterAll(async () => {
    await postfix?.stop();
    await internet?.close();
    await gateway?.close();
  });

  it("starts in a few seconds", () => {
    expect(startMs).toBeLessThan(3000);
  });

  it("relays mail for other domains to the sink", async () => {
    const r = await swaks({
      port: postfix.port,
      from: `alice@${GATEWAY_DOMAIN}`,
      to: "bob@example.com",
      header: ["Subject: relayed"],
      body: "hello bob",
    });
    expect(r.code, r.transcript).toBe(0);
    const mail = await internet.waitForMail("bob@example.com");
    expect(mail.from).toBe(`alice@${GATEWAY_DOMAIN}`);
    expect(mail.raw).toContain("Subject: relayed");
    expect(mail.raw).toContain("hello bob");
  });

  it("hands the gateway's domain to its listener", async () => {
    const r = await swaks({ port: postfix.port, from: "bob@example.com", to: `alice@${GATEWAY_DOMAIN}` });
    expect(r.code, r.transcript).toBe(0);
    const mail = await gateway.waitForMail(`alice@${GATEWAY_DOMAIN}`);
    expect(mail.from).toBe("bob@example.com");
  });

  it("bounces what the sink refuses with 5xx to the sender's domain as a delivery-status report", async () => {
    internet.refuse("gone@example.com", 550, "5.1.1 no such user here");
    const r = await swaks({ port: postfix.port, from: `carol@${GATEWAY_DOMAIN}`, to: "gone@example.com" });
    expect(r.code, r.transcript).toBe(0);
    const bounce = await gateway.waitForMail(`carol@${GATEWAY_DOMAIN}`);
    expect(bounce.from).toBe("");
    expect(bounce.raw).toMatch(/multipart\/report;\s+report-type=delivery-status/);
    expect(bounce.raw).toContain("gone@example.com");
    expect(bounce.raw).toContain("no such user here");
  });

  it("retries mail the next hop deferred with 4xx", async () => {
    gateway.refuse(`dave@${GATEWAY_DOMAIN}`, 451, "4.3.0 try again later");
    const r = await swaks({ port: postfix.port, from: "bob@example.com", to: `dave@${GATEWAY_DOMAIN}` });
    expect(r.code, r.transcript).toBe(0);
    await expect.poll(() => postfix.deliveries("deferred").length, { timeout: 10_000 }).toBeGreaterThan(0);
    gateway.accept(`dave@${GATEWAY_DOMAIN}`);
    await postfix.flush();
    const mail = await gateway.waitForMail(`dave@${GATEWAY_DOMAIN}`);
    expect(mail.from).toBe("bob@example.com");
    await expect.poll(() => postfix.queued(), { timeout: 10_000 }).toBe(0);
  });
});
