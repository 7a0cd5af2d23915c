/**
 * Threading state the email adapter needs and does not keep: the Message-ID of the last mail
 * between a gateway user and a contact (either direction) and its References, so the next mail
 * sets In-Reply-To and References and lands in the same conversation in the contact's mail client.
 *
 * The adapter stays stateless: it receives a ThreadStore in its deps. The core provides the real
 * one (in Redis, beside the message map, with a TTL); memoryThreadStore is for unit tests and runs
 * without one.
 */

/** The last mail of a conversation: its Message-ID and the References it carried (oldest first). */
export interface ThreadRef {
  readonly messageId: string;
  readonly references: readonly string[];
}

export interface ThreadStore {
  /** The last mail between `own` (the user's address) and `peer` (the contact's), if any. */
  last(own: string, peer: string): Promise<ThreadRef | undefined>;
  /** Records `ref` as the last mail between `own` and `peer`. */
  remember(own: string, peer: string, ref: ThreadRef): Promise<void>;
}

/** References kept per mail: the first (the thread's root) and the most recent ones (RFC 5322 3.6.4). */
export const MAX_REFERENCES = 10;

/** The References of a reply to `parent`: its References plus its Message-ID, trimmed. */
export function replyReferences(parent: ThreadRef): string[] {
  const all = [...parent.references, parent.messageId];
  if (all.length <= MAX_REFERENCES) return all;
  return [all[0] as string, ...all.slice(all.length - (MAX_REFERENCES - 1))];
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
