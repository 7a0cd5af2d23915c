/** Outbound media (MMS) rules: checked against the adapter's capabilities before anything is queued. */
import type { Capabilities } from "./adapter.js";
import { Refusal } from "./errors.js";

export const DEFAULT_MEDIA_URL_SCHEMES: readonly string[] = ["https", "http"];

/** Throws a Refusal (not-acceptable) when the URLs do not fit what the network can carry. */
export function checkOutboundMedia(urls: readonly string[], caps: Capabilities): void {
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
    let scheme: string;
    try {
      scheme = new URL(raw).protocol.replace(/:$/, "");
    } catch {
      throw new Refusal("not-acceptable", `The attachment URL "${clip(raw)}" is not a URL.`);
    }
    if (!schemes.includes(scheme)) {
      throw new Refusal(
        "not-acceptable",
        `The attachment URL "${clip(raw)}" cannot be sent: only ${schemes.join(", ")} URLs can be fetched by the network.`,
      );
    }
  }
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}...` : s;
}
