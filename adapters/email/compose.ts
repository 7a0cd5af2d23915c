/**
 * One outbound message -> one mail: From the user's address (with a display name when known), To
 * the contact, the text as the body with XEP-0066 OOB URLs as links below it, a Subject from the
 * XMPP <subject/> (else the first line), threading headers from the conversation's last mail, and a
 * Message-ID derived from the gateway's job id (a retried send carries the same Message-ID, so a
 * receiver that saw the first one can tell; a bounce names it, and the core maps it back).
 */
import { createHash } from "node:crypto";
import type { OutboundMessage } from "../../src/core/adapter.js";
import { replyReferences, type ThreadRef } from "./threads.js";

/** An outbound message; its optional `subject` and `senderName` are the core's (OutboundMessage). */
export type EmailOutbound = OutboundMessage;

export const SUBJECT_MAX = 78;
export const NO_SUBJECT = "(no subject)";

export interface ComposedMail {
  readonly from: { readonly name: string; readonly address: string };
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** Without angle brackets. */
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
}

function oneLine(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/** The XMPP subject when there is one, else the body's first non-empty line (shortened). */
export function subjectOf(subject: string | undefined, body: string): string {
  const given = oneLine(subject ?? "");
  if (given.length > 0) return shorten(given, 998 - "Subject: ".length);
  const first = body
    .split(/\r?\n/)
    .map(oneLine)
    .find((l) => l.length > 0);
  return first === undefined ? NO_SUBJECT : shorten(first, SUBJECT_MAX);
}

/** The body with each media URL on a line of its own below it (mail clients make them links). */
export function bodyWithLinks(body: string, mediaUrls: readonly string[]): string {
  if (mediaUrls.length === 0) return body;
  const links = mediaUrls.join("\n");
  return body.trim().length === 0 ? links : `${body}\n\n${links}`;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The tag of recipient `to` in a Message-ID whose hash is `hash`. */
function recipientTag(hash: string, to: string): string {
  return sha256(`${hash}\n${to.toLowerCase()}`).slice(0, 12);
}

/**
 * A Message-ID (without brackets) for job `jobId` sent from `from` to `to`, the same on every
 * retry: `xgw.<hash of sender and job>.<tag of the recipient>@<sender's domain>`. The tag lets a
 * bounce be checked against the recipient the mail went to (sentTo), so a recipient who saw the
 * id cannot report it failed for someone else.
 */
export function messageIdFor(jobId: string, from: string, to: string): string {
  const domain = from.slice(from.lastIndexOf("@") + 1) || "localhost";
  const hash = sha256(`${from}\n${jobId}`).slice(0, 32);
  return `xgw.${hash}.${recipientTag(hash, to)}@${domain}`;
}

/**
 * Whether the gateway's Message-ID `messageId` was sent to `recipient`; true for an id without a
 * recipient tag (one not made by messageIdFor, or by a version before the tag): unchecked.
 */
export function sentTo(messageId: string, recipient: string): boolean {
  const m = /^xgw\.([0-9a-f]{32})\.([0-9a-f]{12})@/.exec(messageId);
  if (m === null) return true;
  return recipientTag(m[1] as string, recipient) === m[2];
}

export function composeMail(msg: EmailOutbound, parent: ThreadRef | undefined): ComposedMail {
  const name = oneLine(msg.senderName ?? "");
  return {
    from: { name, address: msg.from },
    to: msg.to,
    subject: subjectOf(msg.subject, msg.body),
    text: bodyWithLinks(msg.body, msg.mediaUrls),
    messageId: messageIdFor(msg.messageId, msg.from, msg.to),
    ...(parent ? { inReplyTo: parent.messageId, references: replyReferences(parent) } : {}),
  };
}
