/**
 * Outbound media (MMS) rules: checked against the adapter's capabilities and the operator's
 * media policy before anything is queued.
 *
 * A media URL goes to the provider, which fetches it. One that names a loopback, link-local,
 * private (RFC 1918, ULA), unspecified or other special-purpose address, or localhost, would make
 * the provider (or an adapter that fetches by itself, such as a self-hosted one) reach into a
 * network that is not the public internet; one that carries a user name or password would hand
 * them to the provider and its logs. Both are refused unless the operator allows them. The host
 * is read with the WHATWG URL parser, which turns every IPv4 spelling (decimal `2130706433`, hex
 * `0x7f.1`, octal, short `127.1`) into dotted form, then classified with ipaddr.js (IPv4-mapped
 * IPv6 is unmapped first). Host names are NOT resolved here: a DNS name that resolves to a private
 * address passes, and whether it is fetched is up to the provider's network.
 */
import ipaddr from "ipaddr.js";
import type { Capabilities } from "./adapter.js";
import { Refusal } from "./errors.js";

export const DEFAULT_MEDIA_URL_SCHEMES: readonly string[] = ["https", "http"];

/** Longest media URL accepted (characters). */
export const MAX_MEDIA_URL_CHARS = 2048;

export interface MediaPolicy {
  readonly allowPrivateHosts: boolean;
  readonly allowCredentials: boolean;
}

const STRICT: MediaPolicy = { allowPrivateHosts: false, allowCredentials: false };

/** Throws a Refusal when the URLs do not fit what the network can carry or the policy allows. */
export function checkOutboundMedia(
  urls: readonly string[],
  caps: Capabilities,
  policy: MediaPolicy = STRICT,
): void {
  if (urls.length === 0) return;
  if (!caps.media) throw new Refusal("not-acceptable", "This gateway cannot send media (MMS).");
  if (urls.length > caps.maxMedia) {
    throw new Refusal(
      "not-acceptable",
      `Too many attachments: ${urls.length}; at most ${caps.maxMedia} can be sent in one message.`,
    );
  }
  const schemes = caps.mediaUrlSchemes ?? DEFAULT_MEDIA_URL_SCHEMES;
  for (const raw of urls) {
    if (raw.length > MAX_MEDIA_URL_CHARS) {
      throw new Refusal(
        "not-acceptable",
        `An attachment URL is ${raw.length} characters long; at most ${MAX_MEDIA_URL_CHARS} can be sent.`,
      );
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Refusal("not-acceptable", `The attachment URL "${clip(raw)}" is not a URL.`);
    }
    const scheme = url.protocol.replace(/:$/, "");
    if (!schemes.includes(scheme)) {
      throw new Refusal(
        "not-acceptable",
        `The attachment URL "${clip(raw)}" cannot be sent: only ${schemes.join(", ")} URLs can be fetched by the network.`,
      );
    }
    checkHost(url, policy);
  }
}

function checkHost(url: URL, policy: MediaPolicy): void {
  if (!policy.allowCredentials && (url.username !== "" || url.password !== "")) {
    url.username = "";
    url.password = "";
    throw new Refusal(
      "policy-violation",
      `The attachment URL "${clip(url.href)}" carries a user name or password; this gateway does not pass them on to the network. Share a link without them.`,
    );
  }
  if (policy.allowPrivateHosts) return;
  const kind = specialHost(url.hostname);
  if (kind !== undefined) {
    throw new Refusal(
      "policy-violation",
      `The attachment URL "${clip(url.href)}" points to a private or local address (${kind}); this gateway only sends links to public hosts.`,
    );
  }
}

/** What is special about a URL's host ("loopback", "private", ...), or undefined for a public one. */
export function specialHost(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return "localhost";
  const literal = host.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(literal)) return undefined;
  let address = ipaddr.parse(literal);
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  const range = address.range();
  return range === "unicast" ? undefined : range;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}...` : s;
}
