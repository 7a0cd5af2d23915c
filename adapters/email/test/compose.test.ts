import { describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/core/errors.js";
import { bodyWithLinks, composeMail, messageIdFor, NO_SUBJECT, sentTo, subjectOf } from "../compose.js";
import { relayError } from "../relay.js";
import { MAX_REFERENCES, memoryThreadStore, replyReferences, threadRefOf } from "../threads.js";

const msg = {
  to: "bob@example.com",
  from: "alice@mail.example.org",
  body: "Lunch tomorrow?\nAt noon.",
  mediaUrls: [],
  messageId: "job-1",
};

describe("composing a mail", () => {
  it("takes the XMPP subject, else the first line, else a placeholder", () => {
    expect(subjectOf("Plans", "ignored")).toBe("Plans");
    expect(subjectOf(undefined, "\n  Lunch   tomorrow?\nAt noon.")).toBe("Lunch tomorrow?");
    expect(subjectOf("  ", "")).toBe(NO_SUBJECT);
    const long = subjectOf(undefined, "word ".repeat(40));
    expect(long.length).toBeLessThanOrEqual(78);
    expect(long.endsWith("…")).toBe(true);
    expect(subjectOf("a\r\nBcc: x@y.z", "")).toBe("a Bcc: x@y.z");
  });

  it("puts OOB URLs below the text as links", () => {
    expect(bodyWithLinks("see this", ["https://x.org/a.jpg"])).toBe("see this\n\nhttps://x.org/a.jpg");
    expect(bodyWithLinks("", ["https://x.org/a.jpg", "https://x.org/b.jpg"])).toBe(
      "https://x.org/a.jpg\nhttps://x.org/b.jpg",
    );
  });

  it("derives the same Message-ID for every retry of a job, a different one per job and sender", () => {
    const to = "bob@example.com";
    const id = messageIdFor("job-1", "alice@mail.example.org", to);
    expect(id).toMatch(/^xgw\.[0-9a-f]{32}\.[0-9a-f]{12}@mail\.example\.org$/);
    expect(messageIdFor("job-1", "alice@mail.example.org", to)).toBe(id);
    expect(messageIdFor("job-2", "alice@mail.example.org", to)).not.toBe(id);
    expect(messageIdFor("job-1", "carol@mail.example.org", to)).not.toBe(id);
  });

  it("tags the Message-ID with its recipient, so a bounce can be checked against it", () => {
    const id = messageIdFor("job-1", "alice@mail.example.org", "bob@example.com");
    expect(sentTo(id, "bob@example.com")).toBe(true);
    expect(sentTo(id, "Bob@Example.com")).toBe(true);
    expect(sentTo(id, "carol@example.com")).toBe(false);
    // An id the gateway did not make this way (or made before the tag) is not checked.
    expect(sentTo("xgw.0123456789abcdef@mail.localhost", "anyone@example.com")).toBe(true);
  });

  it("is From the user's address with the display name, threaded on the last mail", () => {
    const first = composeMail({ ...msg, senderName: "Alice Liddell" }, undefined);
    expect(first.from).toEqual({ name: "Alice Liddell", address: "alice@mail.example.org" });
    expect(first.inReplyTo).toBeUndefined();
    const reply = composeMail(msg, { messageId: "m2@example.com", references: ["m1@x"] });
    expect(reply.inReplyTo).toBe("m2@example.com");
    expect(reply.references).toEqual(["m1@x", "m2@example.com"]);
  });
});

describe("threads", () => {
  it("keeps the root and the most recent references", () => {
    const refs = Array.from({ length: 30 }, (_, i) => `m${i}@x`);
    const out = replyReferences({ messageId: "last@x", references: refs });
    expect(out).toHaveLength(MAX_REFERENCES);
    expect(out[0]).toBe("m0@x");
    expect(out[out.length - 1]).toBe("last@x");
  });

  it("keeps of a received mail what the thread store takes: short ids, the root and the latest", () => {
    const long = `${"x".repeat(300)}@x`;
    const refs = ["root@x", long, ...Array.from({ length: 20 }, (_, i) => `m${i}@x`)];
    const ref = threadRefOf("got@x", refs);
    expect(ref?.references).toHaveLength(MAX_REFERENCES);
    expect(ref?.references[0]).toBe("root@x");
    expect(ref?.references).not.toContain(long);
    expect(ref?.references.at(-1)).toBe("m19@x");
    expect(threadRefOf(long, [])).toBeUndefined();
  });

  it("remembers the last mail per (user, contact), bounded (oldest written forgotten first)", async () => {
    const store = memoryThreadStore(2);
    await store.remember("a@x.org", "b@y.org", { messageId: "1@x", references: [] });
    await store.remember("a@x.org", "c@y.org", { messageId: "2@x", references: [] });
    expect((await store.last("a@x.org", "b@y.org"))?.messageId).toBe("1@x");
    expect(await store.last("b@y.org", "a@x.org")).toBeUndefined();
    await store.remember("a@x.org", "d@y.org", { messageId: "3@x", references: [] });
    expect(await store.last("a@x.org", "b@y.org")).toBeUndefined(); // the oldest written goes first
    expect((await store.last("a@x.org", "c@y.org"))?.messageId).toBe("2@x");
  });
});

describe("relay answers", () => {
  it("5xx is permanent with the relay's text", () => {
    const err = relayError({
      code: "EENVELOPE",
      responseCode: 550,
      response: "550 5.1.1 <bob@example.com>: unknown",
    });
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain("550 5.1.1 <bob@example.com>: unknown");
  });

  it("4xx, connection errors and failed logins are retried", () => {
    expect(relayError({ code: "EENVELOPE", responseCode: 451, response: "451 4.3.0 later" })).toBeInstanceOf(
      RetryableError,
    );
    const conn = relayError({ code: "ECONNECTION", message: "connect ECONNREFUSED 127.0.0.1:25" });
    expect(conn).toBeInstanceOf(RetryableError);
    expect((conn as RetryableError).userReason).toBe("The mail relay could not be reached.");
    const auth = relayError({ code: "EAUTH", responseCode: 535, response: "535 5.7.8 bad credentials" });
    expect(auth).toBeInstanceOf(RetryableError);
    expect(relayError(new Error("ETIMEDOUT"))).toBeInstanceOf(RetryableError);
  });
});
