// @xmpp/client 0.14 is plain ESM JavaScript without bundled types (and there is no
// @types/xmpp__client). This declares the small part the test harness uses.
declare module "@xmpp/client" {
  /** An ltx element as produced by @xmpp/xml. */
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    text(): string;
    attr(name: string): string | undefined;
    append(...nodes: (Element | string)[]): Element;
    toString(): string;
  }

  export type XmlChild = Element | string | number | boolean | null | undefined | XmlChild[];

  export function xml(
    name: string,
    attrs?: Record<string, string | number | boolean | null | undefined> | null,
    ...children: XmlChild[]
  ): Element;

  export interface JID {
    local: string;
    domain: string;
    resource: string;
    toString(): string;
    bare(): JID;
    equals(other: JID): boolean;
  }

  export function jid(address: string): JID;

  export type Authenticate = (
    credentials: { username: string; password: string },
    mechanism: string,
  ) => Promise<void>;

  export interface ClientOptions {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
    lang?: string;
    timeout?: number;
    /** Called with the offered SASL mechanisms; must call authenticate(). */
    credentials?: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;
  }

  export interface Client {
    jid: JID | null;
    status: string;
    timeout: number;
    start(): Promise<JID>;
    stop(): Promise<void>;
    send(...elements: Element[]): Promise<void>;
    reconnect: { stop(): void };
    on(event: "stanza" | "element" | "send", listener: (el: Element) => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    on(event: "online", listener: (jid: JID) => void): this;
    on(event: "offline" | "disconnect", listener: () => void): this;
    on(event: "status", listener: (status: string) => void): this;
    removeAllListeners(event?: string): this;
    removeListener(event: "stanza", listener: (el: Element) => void): this;
  }

  export function client(options: ClientOptions): Client;
}
