/**
 * Secret-named fields of a log line's object replaced by a censor, by key name at any case
 * (`authToken`, `headers.Authorization`, `nested.password`, `credentials.apiKey`), down to three
 * levels of keys with arrays walked on the way.
 *
 * Copy on write: an object or array is copied only when something in it is replaced, so a line
 * without secrets costs a walk over its keys and nothing is allocated; the caller's objects are
 * never changed. An Error under the line's `err` key is left to the `err` serializer, which
 * redacts its plain output (a copy of the Error would lose its message and stack); elsewhere an
 * object with a secret field is copied as a plain object, which JSON writes the same way.
 *
 * pino's own `redact` option compiles its paths again on every call that logs (about 16 KB
 * allocated per line in the outbound profile), which is why the gateway does this itself.
 */

export const CENSOR = "[REDACTED]";

const SECRET_NAMES = new Set(["secret", "password", "authtoken", "authorization", "apikey"]);
const NAME_LENGTHS = new Set([...SECRET_NAMES].map((n) => n.length));

/** Levels of keys looked at: the line's own, its objects', and theirs (`*.headers.authorization`). */
const DEPTH = 3;

export function isSecretName(key: string): boolean {
  return NAME_LENGTHS.has(key.length) && SECRET_NAMES.has(key.toLowerCase());
}

/** `value` with secret-named fields censored; `value` itself when it has none. */
export function redactFields<T>(value: T, depth: number = DEPTH): T {
  if (depth <= 0 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return redactArray(value, depth) as T;
  return redactObject(value as Record<string, unknown>, depth) as T;
}

/** The top of a log line: like redactFields, but an Error under `err` is left to its serializer. */
export function redactLine<T extends object>(line: T): T {
  return redactObject(line as Record<string, unknown>, DEPTH, true) as T;
}

function redactObject(source: Record<string, unknown>, depth: number, top = false): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const v = source[key];
    if (top && key === "err" && v instanceof Error) continue;
    const next = isSecretName(key) ? CENSOR : redactFields(v, depth - 1);
    if (next !== v) {
      copy ??= { ...source };
      copy[key] = next;
    }
  }
  return copy ?? source;
}

function redactArray(source: readonly unknown[], depth: number): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < source.length; i++) {
    const next = redactFields(source[i], depth - 1);
    if (next !== source[i]) {
      copy ??= [...source];
      copy[i] = next;
    }
  }
  return copy ?? source;
}
