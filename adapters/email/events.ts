/**
 * A parsed inbound mail -> the core's inbound events: one message per provisioned recipient
 * (from the sender's canonical address, a dedup key from the Message-ID and the recipient), or,
 * for a delivery status report, a "failed" status for the Message-ID the gateway sent.
 */
import { createHash } from "node:crypto";
import type { InboundEvent, InboundMessageEvent } from "../../src/core/adapter.js";
import { canonicalEmail } from "./address.js";
import { bounceReason } from "./bounce.js";
import { sentTo } from "./compose.js";
import type { AttachmentInfo, ParsedMail } from "./parse.js";

/** An inbound mail as the core takes it: its Subject becomes <subject/>, the display name the nick. */
export type EmailInboundMessage = InboundMessageEvent;

const REPLY_PREFIX = /^\s*(re|aw|sv|antw|ref|r)\s*(\[\d+\])?\s*:/i;

function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function attachmentLines(attachments: readonly AttachmentInfo[]): string[] {
  return attachments.map((a) => `[Attachment not delivered: ${a.name}, ${size(a.bytes)}, ${a.type}]`);
}

/**
 * The chat text of a mail: its Subject as a first line (left out for a reply whose Subject is
 * "Re: ..." of the thread: it says nothing new), what the person wrote, and the attachments.
 */
export function chatBody(mail: ParsedMail): string {
  const isReply = mail.references.length > 0 && REPLY_PREFIX.test(mail.subject);
  const parts: string[] = [];
  if (mail.subject.length > 0 && !isReply) parts.push(`Subject: ${mail.subject}`);
  if (mail.text.length > 0) parts.push(mail.text);
  const listed = attachmentLines(mail.attachments);
  if (listed.length > 0) parts.push(listed.join("\n"));
  return parts.length > 0 ? parts.join("\n\n") : "(empty mail)";
}

/** The dedup key of a mail: its Message-ID, or a hash of the bytes when it has none. */
export function mailKey(mail: ParsedMail, raw: Uint8Array): string {
  return mail.messageId ?? `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}

export interface Envelope {
  /** MAIL FROM, "" for the null sender. */
  readonly from: string;
  /** The accepted (provisioned) recipients, canonical. */
  readonly recipients: readonly string[];
}

/** The sender to deliver from: the header From, else the envelope sender; undefined if neither. */
export function senderOf(mail: ParsedMail, envelope: Envelope): string | undefined {
  return canonicalEmail(mail.fromAddress ?? "") ?? canonicalEmail(envelope.from);
}

export function eventsFor(mail: ParsedMail, envelope: Envelope, raw: Uint8Array): InboundEvent[] {
  if (mail.bounce) {
    const { originalMessageId } = mail.bounce;
    if (originalMessageId === undefined) return [];
    // Only recipients the mail was sent to: a report naming anyone else is not about this mail.
    const failed = mail.bounce.failed.filter(
      (f) =>
        sentTo(originalMessageId, f.recipient) ||
        (f.originalRecipient !== undefined && sentTo(originalMessageId, f.originalRecipient)),
    );
    if (failed.length === 0) return [];
    return [
      {
        kind: "status",
        providerMessageId: originalMessageId,
        status: "failed",
        reason: bounceReason(failed),
        errorCode: failed[0]?.status ?? "5.0.0",
        condition: "recipient-unavailable",
      },
    ];
  }
  const from = senderOf(mail, envelope);
  if (from === undefined) return [];
  const key = mailKey(mail, raw);
  const body = chatBody(mail);
  return envelope.recipients.map(
    (to): EmailInboundMessage => ({
      kind: "message",
      providerMessageId: `${key}/${to}`,
      from,
      to,
      body,
      mediaUrls: [],
      ...(mail.subject ? { subject: mail.subject } : {}),
      ...(mail.fromName ? { senderName: mail.fromName } : {}),
    }),
  );
}
