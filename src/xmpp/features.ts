/**
 * The component's XMPP features beside messaging: disco, version, ping, jabber:iq:gateway,
 * registration, ad-hoc commands and presence. Everything runs on a ComponentTransport, so the
 * stanza-level tests drive it with a FakeTransport.
 */
import type { Element } from "@xmpp/component";
import { adminCommands } from "./commands/admin-commands.js";
import { handleCommands } from "./commands/handler.js";
import type { QueueAdmin } from "./commands/queue-admin.js";
import { userCommands } from "./commands/user-commands.js";
import type { FeatureContext } from "./feature-context.js";
import { handleDisco } from "./iq/disco.js";
import { handleGateway } from "./iq/gateway.js";
import { handlePing } from "./iq/ping.js";
import { handleRegister } from "./iq/register.js";
import { handleVersion } from "./iq/version.js";
import { presenceService } from "./presence.js";

export interface FeaturesOptions extends FeatureContext {
  /** For the admin queue commands; without it they are not offered. */
  readonly queues?: QueueAdmin;
}

export interface Features {
  /** Says unavailable to the users (call while the stream is still open), then detaches. */
  stop(): Promise<void>;
}

export function startFeatures(o: FeaturesOptions): Features {
  const { transport, logger } = o;
  const presence = presenceService(o);
  const commands = [...userCommands(o, presence), ...adminCommands(o, presence, o.queues)];
  handleDisco(o, commands);
  handleVersion(transport);
  handlePing(o);
  handleGateway(o);
  handleRegister(o, presence);
  handleCommands(o, commands);

  const onStanza = (el: Element) => {
    if (el.name !== "presence") return;
    presence.onPresence(el).catch((err: Error) => {
      logger.warn({ err: { message: err.message } }, "presence not handled");
    });
  };
  const onOnline = () => {
    presence.probeAll().catch((err: Error) => {
      logger.warn({ err: { message: err.message } }, "could not probe the registered users");
    });
  };
  transport.on("stanza", onStanza);
  transport.on("online", onOnline);
  if (transport.online) onOnline();

  return {
    async stop() {
      transport.off("online", onOnline);
      await presence.goodbye().catch((err: Error) => {
        logger.warn({ err: { message: err.message } }, "could not say goodbye to the users");
      });
      transport.off("stanza", onStanza);
    },
  };
}
