/**
 * Sets of strings per key (e.g. per user) with a cap per key and a cap in total, so no one key,
 * and no crowd of keys, can grow memory without bound. Over a cap the least recently added (or
 * touched) member goes: the key's own oldest when the key is full, the oldest of all otherwise.
 */
import { LRUCache } from "lru-cache";

interface Member {
  readonly key: string;
  readonly value: string;
}

export class CappedSets {
  private readonly sets = new Map<string, Set<string>>();
  /** Every member of every set, least recently used first out. */
  private readonly all: LRUCache<string, Member>;

  constructor(
    readonly perKey: number,
    readonly total: number,
  ) {
    this.all = new LRUCache<string, Member>({
      max: total,
      dispose: (m) => {
        const set = this.sets.get(m.key);
        set?.delete(m.value);
        if (set?.size === 0) this.sets.delete(m.key);
      },
    });
  }

  /** Adds `value` to `key`'s set (or makes it the newest there), evicting over a cap. */
  add(key: string, value: string): void {
    const id = `${key}\u0000${value}`;
    const set = this.sets.get(key) ?? new Set<string>();
    if (set.has(value)) {
      this.all.get(id);
      set.delete(value);
      set.add(value);
      return;
    }
    if (set.size >= this.perKey) {
      const oldest = set.values().next().value;
      if (oldest !== undefined) this.all.delete(`${key}\u0000${oldest}`);
    }
    set.add(value);
    this.sets.set(key, set);
    this.all.set(id, { key, value });
  }

  has(key: string, value: string): boolean {
    return this.sets.get(key)?.has(value) ?? false;
  }

  delete(key: string, value: string): void {
    this.all.delete(`${key}\u0000${value}`);
  }

  /** The members of `key`'s set, oldest first (a copy). */
  values(key: string): string[] {
    return [...(this.sets.get(key) ?? [])];
  }

  deleteKey(key: string): void {
    for (const value of this.values(key)) this.delete(key, value);
  }

  keys(): string[] {
    return [...this.sets.keys()];
  }

  clear(): void {
    this.all.clear();
    this.sets.clear();
  }

  /** Members in all sets. */
  get size(): number {
    return this.all.size;
  }
}
