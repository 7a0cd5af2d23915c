/** application/x-www-form-urlencoded -> fields; repeated keys become arrays (every field is kept). */
export function parseForm(body: string): Record<string, string | string[]> {
  // A Map, not a plain object: keys such as "__proto__" or "constructor" are fields like any other.
  // Arrays grow in place, so a body repeating one key many times parses in linear time.
  const fields = new Map<string, string | string[]>();
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = fields.get(k);
    if (prev === undefined) fields.set(k, v);
    else if (Array.isArray(prev)) prev.push(v);
    else fields.set(k, [prev, v]);
  }
  return Object.fromEntries(fields);
}
