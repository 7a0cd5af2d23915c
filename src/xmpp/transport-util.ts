/** Small helpers of the XMPP transport: domains of JIDs, a bounded wait, stream error logs. */

import type { Logger } from "../core/logger.js";
import { jidDomain } from "./jid.js";

export function parentDomain(domain: string): string {
  return domain.slice(domain.indexOf(".") + 1) || domain;
}

export function addressedTo(to: string | undefined, domain: string): boolean {
  return to !== undefined && jidDomain(to) === domain.toLowerCase();
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Logs a connection or stream error that is not fatal (the transport reconnects). */
export function logStreamError(log: Logger, domain: string, err: Error & { condition?: string }): void {
  if (err.condition === "conflict") {
    log.error(`another connection already holds component ${domain} (conflict); retrying with backoff`);
    return;
  }
  if (err.condition === "host-unknown") {
    log.error(`the XMPP server does not know component ${domain} (host-unknown); retrying`);
    return;
  }
  const code = (err as NodeJS.ErrnoException).code;
  log.warn({ err: { message: err.message, code, condition: err.condition } }, "XMPP connection error");
}

/**
 * ejabberd routes every host of an ejabberd_service listener to each component connected to it,
 * so another component's traffic can arrive here. It is not ours to send: say so once per domain.
 */
export function warnForeignOnce(seen: Set<string>, log: Logger, to: string | undefined): void {
  const domain = jidDomain(to ?? "") ?? "";
  if (seen.has(domain)) return;
  seen.add(domain);
  log.warn(
    { to: domain },
    `the XMPP server hands this component stanzas for ${domain}; they are ignored. On ejabberd, give each component its own ejabberd_service listener (port)`,
  );
}
