/** XML namespaces of the RFCs and XEPs the component speaks: every one of them, in one place. */
export const NS = {
  discoInfo: "http://jabber.org/protocol/disco#info",
  discoItems: "http://jabber.org/protocol/disco#items",
  version: "jabber:iq:version",
  ping: "urn:xmpp:ping",
  gateway: "jabber:iq:gateway",
  register: "jabber:iq:register",
  commands: "http://jabber.org/protocol/commands",
  dataForms: "jabber:x:data",
  nick: "http://jabber.org/protocol/nick",
  oob: "jabber:x:oob",
  receipts: "urn:xmpp:receipts",
  correction: "urn:xmpp:message-correct:0",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  /** XEP-0106: a disco feature, not a namespace (the space is part of it, escaped as \20). */
  jidEscaping: "jid\\20escaping",
} as const;
