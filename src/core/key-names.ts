/**
 * Redis key naming, shared by store/ (its keys) and queue/ (BullMQ's prefix, the seen markers).
 * Every key of one gateway installation shares the {prefix} hash tag, so a Redis Cluster keeps
 * them (and BullMQ's queues) on one slot and multi-key scripts work.
 */
export function hashTagPrefix(prefix: string): string {
  return `{${prefix}}`;
}

export function storeKey(prefix: string, ...parts: string[]): string {
  // Concatenated rather than joined from a new array: several keys are made for every message.
  let key = hashTagPrefix(prefix);
  for (const part of parts) key += `:${part}`;
  return key;
}
