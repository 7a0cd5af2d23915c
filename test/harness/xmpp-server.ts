/**
 * A real XMPP server (Prosody 0.12 or ejabberd 23.01 from Debian) started for a test on free
 * loopback ports, with a generated config in a temporary directory. Users log in with plain-text
 * c2s (no TLS); components connect with XEP-0114 on `componentPort`.
 */
import { startEjabberd } from "./ejabberd.js";
import { startProsody } from "./prosody.js";

export type XmppServerKind = "prosody" | "ejabberd";

export interface XmppServer {
  readonly kind: XmppServerKind;
  /** The user domain: "localhost". */
  readonly domain: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  /** The `service` for the component of `domain` (differs from componentService only with separateComponentListeners). */
  readonly componentServiceFor: (domain: string) => string;
  /** `xmpp://127.0.0.1:<componentPort>`: the `service` for @xmpp/component. */
  readonly componentService: string;
  /** `xmpp://127.0.0.1:<c2sPort>`: the `service` for @xmpp/client. */
  readonly c2sService: string;
  /** The temporary directory holding config, data and logs (kept with XGW_KEEP_TEST_DIRS=1). */
  readonly workDir: string;
  /** Every virtual host: `domain` first, then `extraHosts`. */
  readonly hosts: readonly string[];
  /**
   * Creates the account (or resets its password if it exists). `user` is a localpart on `domain`
   * ("alice") or a bare JID on one of `hosts` ("mallory@other.localhost"). Safe to call concurrently.
   */
  register(user: string, password: string): Promise<void>;
  /** register() for several accounts at once. */
  registerMany(users: readonly { user: string; password: string }[]): Promise<void>;
  /** Stops the server and waits until its process is gone and its ports are closed. */
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same ports with the same data (accounts survive). */
  start(): Promise<void>;
  /** The end of the server's log, for failure messages. */
  logTail(lines?: number): string;
}

export interface XmppServerOptions {
  /** External components (XEP-0114) the server accepts, e.g. `{ domain: "sms.localhost", secret: "s3cret" }`. */
  components: { domain: string; secret: string }[];
  /** More user domains (virtual hosts) beside "localhost", e.g. ["other.localhost"]. */
  extraHosts?: string[];
  /**
   * Offline storage (Prosody's autoloaded mod_offline, ejabberd's mod_offline), as on real servers:
   * a chat message to a user with no session is stored and delivered at the next login. Default
   * true. With false, such a message bounces back as `service-unavailable`.
   */
  offlineStorage?: boolean;
  /**
   * ejabberd only: one ejabberd_service listener (port) per component instead of one shared by
   * all. ejabberd hands every host of a listener to each component connected to it, so
   * components that must not see each other's traffic need their own. Prosody has one port and
   * routes by domain either way.
   */
  separateComponentListeners?: boolean;
}

export function startXmppServer(kind: XmppServerKind, opts: XmppServerOptions): Promise<XmppServer> {
  return kind === "prosody" ? startProsody(opts) : startEjabberd(opts);
}

export const XMPP_SERVER_KINDS: readonly XmppServerKind[] = ["prosody", "ejabberd"];
