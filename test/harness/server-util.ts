/** Small helpers shared by the server starters. */

/** The last `lines` lines of `text`. */
export function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** XMPP localparts the harness accepts for register(): keeps command-line and HTTP quoting trivial. */
export function assertSimpleLocalpart(user: string): void {
  if (!/^[a-z0-9._-]+$/i.test(user)) {
    throw new Error(`register: use a simple username ([a-z0-9._-]), got ${JSON.stringify(user)}`);
  }
}

/** A random lowercase hex string of `bytes` bytes. */
export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}
