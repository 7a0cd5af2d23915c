import { readFileSync } from "node:fs";
import fc from "fast-check";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { SEED } from "../../../test/property/arbitraries.js";
import { chatBody, eventsFor } from "../events.js";
import { parseMail } from "../parse.js";
import { stripQuoted } from "../quotes.js";

const CRLF = "\r\n";
const mail = (headers: string[], body: string) => [...headers, "", body].join(CRLF);
const bytes = (s: string) => new TextEncoder().encode(s);
const envelope = { from: "bob@example.com", recipients: ["alice@mail.localhost"] };

describe("inbound mail to chat text", () => {
  it("prefers the text part of a multipart/alternative", async () => {
    const raw = mail(
      [
        "From: Bob <bob@example.com>",
        "Subject: hi",
        "Message-ID: <m1@example.com>",
        'Content-Type: multipart/alternative; boundary="b"',
      ],
      [
        "--b",
        "Content-Type: text/plain",
        "",
        "plain words",
        "--b",
        "Content-Type: text/html",
        "",
        "<p>html words</p>",
        "--b--",
      ].join(CRLF),
    );
    const parsed = await parseMail(raw);
    expect(parsed.text).toBe("plain words");
    expect(parsed.fromName).toBe("Bob");
    expect(parsed.messageId).toBe("m1@example.com");
  });

  it("turns HTML-only mail into text, links kept, quoted history dropped", async () => {
    const raw = mail(
      ["From: bob@example.com", "Subject: hi", "Content-Type: text/html; charset=utf-8"],
      '<p>Hello <b>Alice</b>,</p><p>see <a href="https://x.org/a">this</a></p><div class="gmail_quote">On Mon, 1 Dec 2026, Alice wrote:<blockquote>old text</blockquote></div>',
    );
    const parsed = await parseMail(raw);
    expect(parsed.text).toContain("Hello Alice,");
    expect(parsed.text).toContain("this [https://x.org/a]");
    expect(parsed.text).not.toContain("old text");
    expect(parsed.text).not.toContain("<");
  });

  it("strips quoted history: attributions, Outlook separators, trailing quotes and signatures", () => {
    expect(
      stripQuoted(
        "Yes, noon.\n\nOn Mon, 1 Dec 2026 at 10:00, Alice <alice@mail.localhost> wrote:\n> Lunch?\n",
      ),
    ).toBe("Yes, noon.");
    expect(
      stripQuoted("Yes.\n\nOn Mon, 1 Dec 2026 at 10:00, Alice <alice@\nmail.localhost> wrote:\n> Lunch?"),
    ).toBe("Yes.");
    expect(stripQuoted("Ja.\n\nAm 01.12.2026 um 10:00 schrieb Alice:\n> Mittag?")).toBe("Ja.");
    expect(stripQuoted("OK\n\n-----Original Message-----\nFrom: Alice\nLunch?")).toBe("OK");
    expect(stripQuoted("OK\n________________________________\nFrom: Alice\nSent: Monday")).toBe("OK");
    expect(stripQuoted("Sure\n\n-- \nBob\nACME Inc.")).toBe("Sure");
    expect(stripQuoted("> Lunch?\nYes\n> Where?\nThe usual\n> old\n> older")).toBe(
      "> Lunch?\nYes\n> Where?\nThe usual",
    );
    expect(stripQuoted("> only a quote")).toBe("> only a quote");
  });

  it("lists attachments by name and size instead of dropping them", async () => {
    const pdf = Buffer.alloc(12_345, 1).toString("base64");
    const raw = mail(
      ["From: bob@example.com", "Subject: report", 'Content-Type: multipart/mixed; boundary="b"'],
      [
        "--b",
        "Content-Type: text/plain",
        "",
        "attached",
        "--b",
        'Content-Type: application/pdf; name="report.pdf"',
        'Content-Disposition: attachment; filename="report.pdf"',
        "Content-Transfer-Encoding: base64",
        "",
        pdf,
        "--b--",
      ].join(CRLF),
    );
    const parsed = await parseMail(raw);
    expect(parsed.attachments).toEqual([{ name: "report.pdf", bytes: 12_345, type: "application/pdf" }]);
    expect(chatBody(parsed)).toBe(
      "Subject: report\n\nattached\n\n[Attachment not delivered: report.pdf, 12.3 kB, application/pdf]",
    );
  });

  it("keeps the subject visible, except the Re: of a reply", async () => {
    const first = await parseMail(mail(["From: bob@example.com", "Subject: Plans"], "see you"));
    expect(chatBody(first)).toBe("Subject: Plans\n\nsee you");
    const reply = await parseMail(
      mail(["From: bob@example.com", "Subject: Re: Plans", "In-Reply-To: <m1@x.org>"], "yes"),
    );
    expect(reply.references).toEqual(["m1@x.org"]);
    expect(chatBody(reply)).toBe("yes");
  });

  it("makes one event per recipient, keyed by Message-ID and recipient, with the sender name", async () => {
    const parsed = await parseMail(mail(["From: Bob B <Bob@Example.com>", "Message-ID: <k@x.org>"], "hi"));
    const events = eventsFor(
      parsed,
      { ...envelope, recipients: ["alice@mail.localhost", "carol@mail.localhost"] },
      bytes("x"),
    );
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      kind: "message",
      providerMessageId: "k@x.org/alice@mail.localhost",
      from: "bob@example.com",
      to: "alice@mail.localhost",
      body: "hi",
      senderName: "Bob B",
    });
    expect(events[1]?.providerMessageId).toBe("k@x.org/carol@mail.localhost");
  });

  it("keys a mail without Message-ID by its bytes", async () => {
    const raw = mail(["From: bob@example.com"], "no id");
    const a = eventsFor(await parseMail(raw), envelope, bytes(raw));
    const b = eventsFor(await parseMail(raw), envelope, bytes(raw));
    expect(a[0]?.providerMessageId).toMatch(/^sha256:[0-9a-f]{64}\/alice@mail\.localhost$/);
    expect(a[0]?.providerMessageId).toBe(b[0]?.providerMessageId);
  });

  it("turns a Postfix bounce into a failed report for the Message-ID it returns", async () => {
    const raw = readFileSync(new URL("./fixtures/postfix-bounce.eml", import.meta.url));
    const parsed = await parseMail(raw);
    expect(parsed.bounce?.originalMessageId).toBe("xgw.0123456789abcdef@mail.localhost");
    const events = eventsFor(parsed, { from: "", recipients: ["alice@mail.localhost"] }, raw);
    expect(events).toEqual([
      {
        kind: "status",
        providerMessageId: "xgw.0123456789abcdef@mail.localhost",
        status: "failed",
        reason:
          "The mail could not be delivered to gone@example.com (status 5.1.1: 550 5.1.1 no such user here).",
        errorCode: "5.1.1",
        condition: "recipient-unavailable",
      },
    ]);
  });

  it("ignores delivery reports that are not failures", async () => {
    const raw = mail(
      [
        "From: MAILER-DAEMON@x.org",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      ],
      [
        "--b",
        "Content-Type: text/plain",
        "",
        "delayed",
        "--b",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; x.org",
        "",
        "Final-Recipient: rfc822; bob@example.com",
        "Action: delayed",
        "Status: 4.4.1",
        "",
        "--b",
        "Content-Type: text/rfc822-headers",
        "",
        "Message-ID: <sent@mail.localhost>",
        "",
        "--b--",
      ].join(CRLF),
    );
    const parsed = await parseMail(raw);
    expect(parsed.bounce?.originalMessageId).toBe("sent@mail.localhost");
    expect(eventsFor(parsed, envelope, bytes(raw))).toEqual([]);
  });
});

describe("charsets and encoded words (property)", () => {
  const latin1 = fc.string({
    unit: fc.constantFrom(..."abcdeéèàçüöäßÆøñ ¡¿£§".split("")),
    minLength: 1,
    maxLength: 40,
  });
  const japanese = fc.string({
    unit: fc.constantFrom(..."日本語のメールですかアイウエオ漢字テスト".split("")),
    minLength: 1,
    maxLength: 30,
  });

  function encodedMail(charset: string, subject: string, body: string, transfer: "8bit" | "base64"): Buffer {
    const encodedSubject = `=?${charset}?B?${iconv.encode(subject, charset).toString("base64")}?=`;
    const head = Buffer.from(
      [
        `From: bob@example.com`,
        `Subject: ${encodedSubject}`,
        `Content-Type: text/plain; charset=${charset}`,
        `Content-Transfer-Encoding: ${transfer}`,
        "",
        "",
      ].join(CRLF),
    );
    const encodedBody = iconv.encode(body, charset);
    return Buffer.concat([
      head,
      transfer === "base64" ? Buffer.from(encodedBody.toString("base64")) : encodedBody,
    ]);
  }

  it.each([
    ["ISO-8859-1", latin1],
    ["Shift_JIS", japanese],
  ] as const)("%s subjects and bodies arrive readable", async (charset, text) => {
    await fc.assert(
      fc.asyncProperty(
        text,
        text,
        fc.constantFrom("8bit" as const, "base64" as const),
        async (subject, body, transfer) => {
          fc.pre(subject.trim().length > 0 && body.trim().length > 0);
          const parsed = await parseMail(encodedMail(charset, subject, body, transfer));
          expect(parsed.subject).toBe(subject.trim());
          expect(parsed.text).toBe(body.trim());
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("decodes quoted-printable encoded-word subjects", async () => {
    const parsed = await parseMail(
      mail(["From: bob@example.com", "Subject: =?ISO-8859-1?Q?caf=E9_cr=E8me?="], "x"),
    );
    expect(parsed.subject).toBe("café crème");
  });
});
