/**
 * RFC 3464 delivery status notifications: a `multipart/report; report-type=delivery-status` mail
 * names, per recipient, the Action (failed, delayed, delivered, ...), the Status (5.1.1) and the
 * remote server's Diagnostic-Code, and carries the original message (or its headers), whose
 * Message-ID is the one the gateway sent. Only "failed" becomes a report: a "delayed" notice is
 * not final, and a "delivered" one is never turned into a receipt (no XEP-0184 claim on email).
 */

export interface FailedRecipient {
  /** Final-Recipient (else Original-Recipient) as the report gives it. */
  readonly recipient: string;
  /** Original-Recipient, when the report gives it (the address the mail was sent to, before forwarding). */
  readonly originalRecipient?: string;
  readonly status: string;
  readonly diagnostic?: string;
}

export interface Bounce {
  /** Message-ID of the mail that bounced (without brackets), when the report carries it. */
  readonly originalMessageId?: string;
  readonly failed: readonly FailedRecipient[];
}

/** Whether a Content-Type header value is that of a delivery status report. */
export function isDeliveryReport(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return (
    /^\s*multipart\/report\b/i.test(contentType) &&
    /;\s*report-type\s*=\s*"?delivery-status"?\s*(;|$)/i.test(contentType)
  );
}

/** Header-like fields of one block, unfolded; names lowercased; the first value of each wins. */
export function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  const unfolded = block.replace(/\r\n?/g, "\n").replace(/\n[ \t]+/g, " ");
  for (const line of unfolded.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** A typed field ("rfc822; bob@example.com", "smtp; 550 ...") -> its value. */
function afterType(field: string): string {
  const semi = field.indexOf(";");
  return (semi >= 0 ? field.slice(semi + 1) : field).trim().replace(/^<(.*)>$/, "$1");
}

/** The per-recipient blocks of a message/delivery-status body that say "failed". */
export function failedRecipients(deliveryStatus: string): FailedRecipient[] {
  const blocks = deliveryStatus.replace(/\r\n?/g, "\n").split(/\n\s*\n/);
  const failed: FailedRecipient[] = [];
  for (const block of blocks.slice(1)) {
    const f = fieldsOf(block);
    const recipient = f.get("final-recipient") ?? f.get("original-recipient");
    if (recipient === undefined || f.get("action")?.toLowerCase() !== "failed") continue;
    const diagnostic = f.get("diagnostic-code");
    const original = f.get("original-recipient");
    failed.push({
      recipient: afterType(recipient),
      ...(original === undefined ? {} : { originalRecipient: afterType(original) }),
      status: f.get("status") ?? "5.0.0",
      ...(diagnostic === undefined ? {} : { diagnostic: afterType(diagnostic) }),
    });
  }
  return failed;
}

/** The Message-ID (without brackets) in the headers of the returned message, if any. */
export function originalMessageId(returned: string): string | undefined {
  const normalized = returned.replace(/\r\n?/g, "\n");
  const end = normalized.indexOf("\n\n");
  const id = fieldsOf(end >= 0 ? normalized.slice(0, end) : normalized).get("message-id");
  const m = id === undefined ? undefined : /<([^<>\s]+)>/.exec(id);
  return m?.[1] ?? (id?.trim() || undefined);
}

/** What the sender is told about a bounce. */
export function bounceReason(failed: readonly FailedRecipient[]): string {
  const each = failed.map(
    (f) => `${f.recipient} (status ${f.status}${f.diagnostic === undefined ? "" : `: ${f.diagnostic}`})`,
  );
  return `The mail could not be delivered to ${each.join(", ")}.`;
}
