// Types for the parts of @xmpp/component 0.13.1 that the gateway uses: a CommonJS package without
// bundled types (there is no @types/xmpp__component). Its `xml` builder makes ltx Elements.

declare module "@xmpp/component" {
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    parent: Element | null;
    getName(): string;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    getText(): string;
    text(): string;
    getNS(): string | undefined;
    is(name: string, xmlns?: string): boolean;
    append(...children: Array<Element | string>): Element;
    toString(): string;
  }
  type Child = Element | string | null | undefined | false;

  export interface IqContext {
    readonly stanza: Element;
    readonly from: { toString(): string } | null;
    readonly to: { toString(): string } | null;
    readonly id: string;
  }
  export type IqHandler = (ctx: IqContext) => Element | boolean | Promise<Element | boolean>;

  export interface Component {
    readonly status: string;
    readonly options: { service: string; domain: string };
    /** The net.Socket of the stream, while there is one. */
    readonly socket: {
      destroy(): void;
      cork(): void;
      uncork(): void;
      pause(): void;
      resume(): void;
      setNoDelay(noDelay: boolean): void;
      setEncoding(encoding: "utf8"): void;
    } | null;
    /** The stream parser class; a new one per connection (`new this.Parser()`). */
    Parser: new () => { write(data: string): void; end(data?: string): void };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(timeoutMs?: number): Promise<void>;
    send(el: Element): Promise<void>;
    /** Writes raw text to the stream (every stanza and nonza goes through it); replaceable. */
    write(text: string): Promise<void>;
    on(event: "online", listener: () => void): this;
    on(event: "offline" | "disconnect" | "connect", listener: () => void): this;
    on(event: "status", listener: (status: string) => void): this;
    on(event: "stanza", listener: (el: Element) => void): this;
    on(event: "error", listener: (err: Error & { condition?: string }) => void): this;
    on(event: "input" | "output", listener: (s: string) => void): this;
    /** Every element the server sends (the middleware listens here; iq-middleware.ts). */
    on(event: "element", listener: (el: Element) => unknown): this;
    off(event: "element", listener: (el: Element) => unknown): this;
    listeners(event: "element"): ((el: Element) => unknown)[];
    emit(event: "element" | "stanza", el: Element): boolean;
    removeAllListeners(): this;
    middleware: { use(fn: (ctx: { stanza: Element }, next: () => Promise<unknown>) => unknown): void };
    reconnect: { stop(): void; reconnect(): Promise<void> };
    iqCaller: { request(el: Element, timeoutMs?: number): Promise<Element> };
    iqCallee: {
      get(ns: string, name: string, handler: IqHandler): void;
      set(ns: string, name: string, handler: IqHandler): void;
    };
  }

  export function component(options: { service: string; domain: string; password: string }): Component;
  export function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: Child[]
  ): Element;
}
