/**
 * An inbound mail (raw RFC 5322 bytes) -> what a chat shows: the text part (or the HTML part as
 * text) with the quoted history stripped, the Subject, the sender's display name, attachments by
 * name and size, and the threading headers. Charsets and encoded words are postal-mime's job; a
 * delivery status report is recognised and parsed as a bounce instead.
 */
import { convert } from "html-to-text";
import PostalMime, { type Attachment, type Email } from "postal-mime";
import { type Bounce, failedRecipients, isDeliveryReport, originalMessageId } from "./bounce.js";
import { stripQuoted } from "./quotes.js";

/** Longest text delivered from one mail, in characters (an XMPP server caps a stanza's size). */
export const MAX_TEXT = 32_000;

export interface AttachmentInfo {
  readonly name: string;
  readonly bytes: number;
  readonly type: string;
}

export interface ParsedMail {
  /** Message-ID without brackets, when the mail has one. */
  readonly messageId?: string;
  /** The header From, address as written (not yet canonical). */
  readonly fromAddress?: string;
  readonly fromName: string;
  readonly subject: string;
  /** What the person wrote: text part or HTML as text, quoted history stripped, capped. */
  readonly text: string;
  readonly attachments: readonly AttachmentInfo[];
  /** Message-IDs of References then In-Reply-To, without brackets, oldest first. */
  readonly references: readonly string[];
  readonly bounce?: Bounce;
}

const decoder = new TextDecoder("utf-8");

function contentText(content: Attachment["content"]): string {
  return typeof content === "string" ? content : decoder.decode(content);
}

function contentBytes(content: Attachment["content"]): number {
  return typeof content === "string" ? Buffer.byteLength(content) : content.byteLength;
}

/** Every <id> in a References / In-Reply-To header, without brackets. */
export function messageIds(header: string | undefined): string[] {
  return [...(header ?? "").matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] as string);
}

export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: "a", options: { hideLinkHrefIfSameAsText: true } },
      { selector: "img", format: "skip" },
      { selector: "h1", options: { uppercase: false } },
      { selector: "h2", options: { uppercase: false } },
      { selector: "table", format: "dataTable" },
    ],
  });
}

function cap(text: string): string {
  if (text.length <= MAX_TEXT) return text;
  return `${text.slice(0, MAX_TEXT)}\n[… ${text.length - MAX_TEXT} more characters not shown]`;
}

function bounceOf(email: Email): Bounce | undefined {
  const contentType = email.headers.find((h) => h.key === "content-type")?.value;
  if (!isDeliveryReport(contentType)) return undefined;
  const status = email.attachments.find((a) => a.mimeType === "message/delivery-status");
  if (status === undefined) return undefined;
  const returned = email.attachments.find(
    (a) => a.mimeType === "message/rfc822" || a.mimeType === "text/rfc822-headers",
  );
  const original = returned === undefined ? undefined : originalMessageId(contentText(returned.content));
  return {
    failed: failedRecipients(contentText(status.content)),
    ...(original === undefined ? {} : { originalMessageId: original }),
  };
}

function attachmentsOf(email: Email): AttachmentInfo[] {
  return email.attachments
    .filter((a) => !(a.related === true && a.disposition !== "attachment"))
    .map((a) => ({
      name: a.filename ?? `unnamed ${a.mimeType}`,
      bytes: contentBytes(a.content),
      type: a.mimeType,
    }));
}

function readableText(email: Email): string {
  const plain = email.text?.trim() ? email.text : undefined;
  const text = plain ?? (email.html ? htmlToText(email.html) : "");
  return cap(stripQuoted(text));
}

export async function parseMail(raw: Uint8Array | string): Promise<ParsedMail> {
  const email = await PostalMime.parse(raw, { rfc822Attachments: true });
  const from = email.from?.address === undefined ? undefined : email.from;
  const messageId = messageIds(email.messageId)[0] ?? (email.messageId?.trim() || undefined);
  const bounce = bounceOf(email);
  const references = [...messageIds(email.references)];
  for (const id of messageIds(email.inReplyTo)) if (!references.includes(id)) references.push(id);
  return {
    ...(messageId === undefined ? {} : { messageId }),
    ...(from?.address ? { fromAddress: from.address } : {}),
    fromName: (from?.name ?? "").trim(),
    subject: (email.subject ?? "").trim(),
    text: bounce ? "" : readableText(email),
    attachments: bounce ? [] : attachmentsOf(email),
    references,
    ...(bounce ? { bounce } : {}),
  };
}
