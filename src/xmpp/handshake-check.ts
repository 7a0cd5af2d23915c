/**
 * `check-config --connect`: one XEP-0114 handshake with the configured secret, then the stream is
 * closed. Says whether the server accepted the secret, refused it, or could not be reached.
 */
import { component } from "@xmpp/component";

export interface HandshakeResult {
  readonly outcome: "accepted" | "refused" | "unreachable";
  readonly detail: string;
}

export async function tryHandshake(
  o: { service: string; domain: string; secret: string },
  timeoutMs: number,
): Promise<HandshakeResult> {
  const xmpp = component({ service: o.service, domain: o.domain, password: o.secret });
  xmpp.reconnect.stop();
  let condition: string | undefined;
  let lastError: string | undefined;
  xmpp.on("error", (err: Error & { condition?: string }) => {
    condition ??= err.condition;
    lastError = err.message;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const result = await Promise.race([xmpp.start().then(() => "online" as const), timedOut]);
    if (result === "online") return { outcome: "accepted", detail: `handshake accepted by ${o.service}` };
    return {
      outcome: "unreachable",
      detail: `no handshake within ${timeoutMs / 1000} s (${lastError ?? "no answer"})`,
    };
  } catch (err) {
    if (condition === "not-authorized") {
      return { outcome: "refused", detail: `${o.service} refused the secret (not-authorized)` };
    }
    if (condition === "conflict") {
      return {
        outcome: "accepted",
        detail: `${o.service} says another connection holds ${o.domain} (conflict): a gateway is running`,
      };
    }
    const reason = condition ?? lastError ?? (err as Error).message;
    return {
      outcome: condition === "host-unknown" ? "refused" : "unreachable",
      detail: `${o.service}: ${reason}`,
    };
  } finally {
    clearTimeout(timer);
    await Promise.race([xmpp.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    xmpp.socket?.destroy();
  }
}
