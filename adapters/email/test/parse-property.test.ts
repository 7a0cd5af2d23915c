// Property tests on the parser boundary: whatever words a person writes arrive readable, whether
// the mail is HTML-only, a reply quoting history, or carries attachments.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEED } from "../../../test/property/arbitraries.js";
import { chatBody } from "../events.js";
import { parseMail } from "../parse.js";

const CRLF = "\r\n";
const RUNS = { seed: SEED, numRuns: 60 };
const word = fc.stringMatching(/^[A-Za-z0-9éüß日本]{1,12}$/);
const line = fc.array(word, { minLength: 1, maxLength: 8 }).map((w) => w.join(" "));
const lines = fc.array(line, { minLength: 1, maxLength: 5 });
const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

describe("parser boundary (property)", () => {
  it("HTML-only mail arrives as its text, one paragraph per line", async () => {
    await fc.assert(
      fc.asyncProperty(lines, async (ls) => {
        const body = ls.map((l) => `<p>${html(l)}</p>`).join("");
        const raw = ["From: bob@example.com", "Content-Type: text/html; charset=utf-8", "", body].join(CRLF);
        const parsed = await parseMail(raw);
        expect(parsed.text.split(/\n+/)).toEqual(ls);
      }),
      RUNS,
    );
  });

  it("a reply arrives without the history it quotes", async () => {
    await fc.assert(
      fc.asyncProperty(lines, lines, async (reply, quoted) => {
        const text = [
          ...reply,
          "",
          "On Mon, 1 Dec 2026 at 10:00, Alice <alice@mail.localhost> wrote:",
          ...quoted.map((q) => `> ${q}`),
        ].join(CRLF);
        const raw = [
          "From: bob@example.com",
          "Subject: Re: x",
          "In-Reply-To: <a@b.c>",
          "Content-Type: text/plain; charset=utf-8",
          "",
          text,
        ].join(CRLF);
        const parsed = await parseMail(raw);
        expect(parsed.text).toBe(reply.join("\n").trim());
        expect(chatBody(parsed)).toBe(reply.join("\n").trim());
      }),
      RUNS,
    );
  });

  it("every attachment is listed by name and size", async () => {
    const attachment = fc.record({
      name: fc.stringMatching(/^[a-z0-9_-]{1,16}\.(pdf|png|txt|zip)$/),
      bytes: fc.integer({ min: 1, max: 50_000 }),
    });
    await fc.assert(
      fc.asyncProperty(line, fc.array(attachment, { minLength: 1, maxLength: 4 }), async (text, files) => {
        const parts = files.map((f) =>
          [
            "--b",
            `Content-Type: application/octet-stream; name="${f.name}"`,
            `Content-Disposition: attachment; filename="${f.name}"`,
            "Content-Transfer-Encoding: base64",
            "",
            Buffer.alloc(f.bytes, 7).toString("base64"),
          ].join(CRLF),
        );
        const raw = [
          "From: bob@example.com",
          'Content-Type: multipart/mixed; boundary="b"',
          "",
          ["--b", "Content-Type: text/plain; charset=utf-8", "", text, ...parts, "--b--"].join(CRLF),
        ].join(CRLF);
        const parsed = await parseMail(raw);
        expect(parsed.text).toBe(text);
        expect(parsed.attachments.map((a) => [a.name, a.bytes])).toEqual(files.map((f) => [f.name, f.bytes]));
        const body = chatBody(parsed);
        for (const f of files) expect(body).toContain(`${f.name}, `);
      }),
      RUNS,
    );
  });
});
