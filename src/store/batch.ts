/**
 * Store commands batched into one pipeline: a store queues its commands on `batch` and keeps a
 * function that reads its own replies out of `batch.exec()` (tick-batch.ts). The outbound worker
 * uses this to make one round trip of several jobs' commands.
 */

/** What `exec()` of a pipeline resolves to: one [error, reply] per queued command, in order. */
export type BatchReplies = readonly (readonly [Error | null, unknown])[] | null;

/** The reply of the command queued at `index`; throws that command's error. */
export function replyAt(replies: BatchReplies, index: number): unknown {
  const reply = replies?.[index];
  if (reply === undefined) throw new Error(`no reply to pipelined command #${index}`);
  if (reply[0]) throw reply[0];
  return reply[1];
}
