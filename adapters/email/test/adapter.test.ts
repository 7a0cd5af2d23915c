import { describe, expect, it } from "vitest";
import { RetryableError } from "../../../src/core/errors.js";
import { silentLogger } from "../../../test/harness/silent-logger.js";
import type { ComposedMail } from "../compose.js";
import { createEmailAdapter, memoryThreadStore, type ThreadStore } from "../index.js";
import type { Relay } from "../relay.js";

function fakeRelay(sent: ComposedMail[]): Relay {
  return { send: async (m) => void sent.push(m), verify: async () => undefined, close: () => undefined };
}

function adapterWith(sent: ComposedMail[], threads: ThreadStore = memoryThreadStore()) {
  return createEmailAdapter(
    {
      gatewayId: "mail",
      email: { listen: "127.0.0.1:2525", relay: { host: "127.0.0.1" } },
      relay: fakeRelay(sent),
    },
    { logger: silentLogger, emit: async () => undefined, threads, isUser: async () => false },
  );
}

const msg = (messageId: string, to = "bob@example.com") => ({
  to,
  from: "alice@mail.example.org",
  body: "hi",
  mediaUrls: [],
  messageId,
});
const account = { number: "alice@mail.example.org" };

describe("email adapter", () => {
  it("declares no splitting and no opt-out keywords, a face and one listener", () => {
    const a = adapterWith([]);
    expect(a.text).toBeUndefined();
    expect(a.optOut).toBeUndefined();
    expect(a.face?.identityType).toBe("smtp");
    expect(a.listeners).toHaveLength(1);
  });

  it("answers with the Message-ID and threads the next mail per contact", async () => {
    const sent: ComposedMail[] = [];
    const a = adapterWith(sent);
    const first = await a.send(msg("j1"), account);
    await a.send(msg("j2"), account);
    await a.send(msg("j3", "carol@example.com"), account);
    expect(first.providerMessageId).toBe(sent[0]?.messageId);
    expect(sent[1]?.inReplyTo).toBe(first.providerMessageId);
    expect(sent[1]?.references).toEqual([first.providerMessageId]);
    expect(sent[2]?.inReplyTo).toBeUndefined();
  });

  it("still sends when the thread store fails", async () => {
    const sent: ComposedMail[] = [];
    const broken: ThreadStore = {
      last: async () => Promise.reject(new Error("down")),
      remember: async () => Promise.reject(new Error("down")),
    };
    await adapterWith(sent, broken).send(msg("j1"), account);
    expect(sent).toHaveLength(1);
  });

  it("refuses to send once closed (retryable)", async () => {
    const a = adapterWith([]);
    await a.close?.();
    await expect(a.send(msg("j1"), account)).rejects.toBeInstanceOf(RetryableError);
  });
});
