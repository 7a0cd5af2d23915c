/**
 * Reading an incoming message stanza: what the user wants sent, or why it is ignored or refused.
 * Chat states, receipts, markers, body-less messages and errors are never sent as SMS; errors are
 * never answered (no loops).
 */
import type { Element } from "@xmpp/component";
import { MAX_SENDER_NAME_LENGTH, MAX_SUBJECT_LENGTH } from "../core/adapter.js";
import type { OutboundRequest } from "../core/outbound.js";
import { NS } from "./namespaces.js";

export type Decoded =
  | { readonly kind: "send"; readonly request: OutboundRequest }
  | { readonly kind: "ignore"; readonly why: string }
  | {
      readonly kind: "refuse";
      readonly condition: "feature-not-implemented" | "bad-request";
      readonly text: string;
    };

const MAX_ID = 256;

export function decodeMessage(el: Element): Decoded {
  const { type = "normal", from, to, id } = el.attrs;
  if (type === "error") return { kind: "ignore", why: "error stanza" };
  if (!from || !to) return { kind: "ignore", why: "missing from or to" };
  const body = el.getChildText("body");
  const oob = el
    .getChildren("x", NS.oob)
    .map((x) => x.getChildText("url")?.trim() ?? "")
    .filter((u) => u.length > 0);
  if ((body === null || body.trim() === "") && oob.length === 0) {
    return { kind: "ignore", why: "no body (chat state, receipt or marker)" };
  }
  if (type === "groupchat" || type === "headline") {
    return {
      kind: "refuse",
      condition: "feature-not-implemented",
      text: `${type} messages are not supported.`,
    };
  }
  if (id !== undefined && id.length > MAX_ID) {
    return { kind: "refuse", condition: "bad-request", text: "The message id is too long." };
  }
  // The contact's localpart exactly as written (not case-mapped or re-escaped as @xmpp/jid
  // would): the adapter's parseAddress reads it, and an error comes back from the JID written to.
  const at = to.indexOf("@");
  const slash = to.indexOf("/");
  const contactLocalpart = at > 0 && (slash === -1 || at < slash) ? to.slice(0, at) : "";
  const contactResource = slash === -1 ? undefined : to.slice(slash + 1);
  // A body that is only the OOB URL (as clients send after an upload) is not repeated as text.
  const text = body ?? "";
  const bodyIsUrl = oob.includes(text.trim());
  const receipt = el.getChild("request", NS.receipts) !== undefined;
  const replaces = el.getChild("replace", NS.correction)?.attrs.id;
  const subject = el.getChildText("subject")?.trim() ?? "";
  const senderName = el.getChildText("nick", NS.nick)?.trim() ?? "";
  if (subject.length > MAX_SUBJECT_LENGTH) {
    return {
      kind: "refuse",
      condition: "bad-request",
      text: `The subject is longer than ${MAX_SUBJECT_LENGTH} characters.`,
    };
  }
  return {
    kind: "send",
    request: {
      stanzaId: id,
      senderJid: from,
      contactLocalpart,
      ...(contactResource ? { contactResource } : {}),
      body: bodyIsUrl ? "" : text,
      mediaUrls: oob,
      ...(receipt ? { receipt } : {}),
      ...(typeof replaces === "string" && replaces.length > 0 ? { replaces } : {}),
      ...(subject.length > 0 ? { subject } : {}),
      // A nick is cosmetic: one too long is cut, never a reason to refuse the message.
      ...(senderName.length > 0 ? { senderName: senderName.slice(0, MAX_SENDER_NAME_LENGTH) } : {}),
    },
  };
}
