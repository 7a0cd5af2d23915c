/** Small helpers shared by the server starters. */

/** The last `lines` lines of `text`. */
export function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * Splits what register() accepts ("alice" on the main domain, or "mallory@other.localhost") into
 * localpart and host, checking the host is served. Localparts are kept simple ([a-z0-9._-]) so
 * command-line and HTTP quoting stay trivial.
 */
export function splitAccount(account: string, hosts: readonly string[]): { user: string; host: string } {
  const at = account.indexOf("@");
  const user = at < 0 ? account : account.slice(0, at);
  const host = at < 0 ? hosts[0] : account.slice(at + 1);
  if (!/^[a-z0-9._-]+$/i.test(user)) {
    throw new Error(`register: use a simple username ([a-z0-9._-]), got ${JSON.stringify(account)}`);
  }
  if (host === undefined || !hosts.includes(host)) {
    throw new Error(
      `register: ${JSON.stringify(account)} is not on a host this server serves (${hosts.join(", ")})`,
    );
  }
  return { user, host };
}

/** Host names the harness accepts for virtual hosts and components. */
export function assertHostname(host: string): void {
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host)) {
    throw new Error(`not a simple host name: ${JSON.stringify(host)}`);
  }
}

/** A random lowercase hex string of `bytes` bytes. */
export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}
