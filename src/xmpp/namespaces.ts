/** XML namespaces of the XEPs the component speaks. */
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
} as const;
