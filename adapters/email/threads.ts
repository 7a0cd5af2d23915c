/**
 * Threading state the email adapter needs and does not keep: the Message-ID of the last mail
 * between a gateway user and a contact (either direction) and its References, so the next mail
 * sets In-Reply-To and References and lands in the same conversation in the contact's mail client.
 *
 * The adapter stays stateless: it receives a ThreadStore in its deps. The core provides the real
 * one (src/store/threads.ts: in Redis, with a TTL and a cap per user); memoryThreadStore is for
 * unit tests and runs without one.
 */
import {
  MAX_THREAD_ID_LENGTH,
  MAX_THREAD_REFERENCES,
  type ThreadRef,
  type ThreadStore,
} from "../../src/core/threads.js";

export type { ThreadRef, ThreadStore } from "../../src/core/threads.js";

/** References kept per mail: the first (the thread's root) and the most recent ones (RFC 5322 3.6.4). */
export const MAX_REFERENCES = MAX_THREAD_REFERENCES;

/** The root and the most recent of `ids`, at most MAX_REFERENCES. */
function trimmed(ids: readonly string[]): string[] {
  if (ids.length <= MAX_REFERENCES) return [...ids];
  return [ids[0] as string, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

/** The References of a reply to `parent`: its References plus its Message-ID, trimmed. */
export function replyReferences(parent: ThreadRef): string[] {
  return trimmed([...parent.references, parent.messageId]);
}

/**
 * What a received mail leaves as its conversation's last: its Message-ID and References, ids
 * longer than the store keeps left out; undefined when its own id is one of those.
 */
export function threadRefOf(messageId: string, references: readonly string[]): ThreadRef | undefined {
  if (messageId.length > MAX_THREAD_ID_LENGTH) return undefined;
  return { messageId, references: trimmed(references.filter((r) => r.length <= MAX_THREAD_ID_LENGTH)) };
}

/** A bounded in-memory ThreadStore (oldest conversation forgotten first). */
export function memoryThreadStore(maxConversations = 10_000): ThreadStore {
  const threads = new Map<string, ThreadRef>();
  const key = (own: string, peer: string) => `${own}\n${peer}`;
  return {
    async last(own, peer) {
      return threads.get(key(own, peer));
    },
    async remember(own, peer, ref) {
      const k = key(own, peer);
      threads.delete(k);
      threads.set(k, ref);
      if (threads.size > maxConversations) {
        const oldest = threads.keys().next().value;
        if (oldest !== undefined) threads.delete(oldest);
      }
    },
  };
}
