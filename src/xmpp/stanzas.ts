/** Building the stanzas the gateway sends. */
import { type Element, xml } from "@xmpp/component";
import type { RefusalCondition } from "../core/errors.js";

export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

const ERROR_TYPES: Partial<Record<RefusalCondition, "auth" | "cancel" | "modify" | "wait">> = {
  "bad-request": "modify",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "policy-violation": "modify",
  forbidden: "auth",
  "not-authorized": "auth",
  "registration-required": "auth",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "recipient-unavailable": "wait",
};

export function errorElement(condition: RefusalCondition, text: string): Element {
  return xml(
    "error",
    { type: ERROR_TYPES[condition] ?? "cancel" },
    xml(condition, { xmlns: NS_STANZAS }),
    xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, text),
  );
}

/** `<message type="error">` echoing the original id, from the contact the user wrote to. */
export function messageError(p: {
  from: string;
  to: string;
  id?: string;
  condition: RefusalCondition;
  text: string;
}): Element {
  return xml(
    "message",
    { type: "error", from: p.from, to: p.to, id: p.id },
    errorElement(p.condition, p.text),
  );
}

export function chatMessage(p: {
  from: string;
  to: string;
  id: string;
  body: string;
  mediaUrls: readonly string[];
}) {
  const text = [p.body, ...p.mediaUrls].filter((s) => s.length > 0).join("\n");
  return xml(
    "message",
    { type: "chat", from: p.from, to: p.to, id: p.id },
    xml("body", {}, text),
    ...p.mediaUrls.map((url) => xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, url))),
  );
}
