/**
 * Reply threading state, for networks whose messages name the one they answer (email: Message-ID,
 * In-Reply-To and References). The core keeps it (src/store, in Redis with a bounded life and a
 * cap per user) so adapters stay stateless; an adapter gets its gateway's view in AdapterDeps.
 */
import { z } from "zod";

/** Longest message id kept (RFC 5322 allows a 998-character line; real ids are far shorter). */
export const MAX_THREAD_ID_LENGTH = 255;
/** References kept per conversation (the thread's root and the most recent ones). */
export const MAX_THREAD_REFERENCES = 10;

const threadId = z.string().min(1).max(MAX_THREAD_ID_LENGTH);

/** The last message of a conversation: its network id and the ids it referenced (oldest first). */
export const threadRefSchema = z
  .object({
    messageId: threadId,
    references: z.array(threadId).max(MAX_THREAD_REFERENCES).readonly(),
  })
  .strict()
  .readonly();
export type ThreadRef = z.infer<typeof threadRefSchema>;

/** One gateway's threads: what an adapter is handed. */
export interface ThreadStore {
  /** The last message between `own` (the user's address) and `peer` (the contact's), if any. */
  last(own: string, peer: string): Promise<ThreadRef | undefined>;
  /** Records `ref` as the last message between `own` and `peer`. */
  remember(own: string, peer: string, ref: ThreadRef): Promise<void>;
}

/** Every gateway's threads (implemented in src/store). */
export interface ThreadLog {
  last(gatewayId: string, own: string, peer: string): Promise<ThreadRef | undefined>;
  remember(gatewayId: string, own: string, peer: string, ref: ThreadRef): Promise<void>;
}

/** `log` seen from one gateway. */
export function threadsOf(log: ThreadLog, gatewayId: string): ThreadStore {
  return {
    last: (own, peer) => log.last(gatewayId, own, peer),
    remember: (own, peer, ref) => log.remember(gatewayId, own, peer, ref),
  };
}
