/**
 * One adapter's rig for the conformance suite: its stand-in, the real gateway for it (one per
 * adapter for the whole suite), the owner logged in with a real XMPP client, and the adapter
 * instance the gateway made (captured from its registry entry, for address round trips).
 */
import type { NetworkAdapter } from "../../src/core/adapter.js";
import { type AdapterEntry, adapters, entry } from "../../src/main.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { connectClient, type Element, type TestClient, xml } from "../harness/xmpp-client.js";
import type { XmppServer } from "../harness/xmpp-server.js";
import type { ConformanceAdapter, GatewayUnderTest, RunningStandIn } from "./descriptor.js";

export const COMPONENT_SECRET = "component-secret-conformance-2b8d";
export const PUBLIC_URL = "https://conformance.example.test";
export const NS_REGISTER = "jabber:iq:register";
/** Bring-your-own registrations store provider credentials sealed with this key. */
const CREDENTIALS_KEY = Buffer.alloc(32, 5).toString("base64");

export const domainOf = (d: ConformanceAdapter) => `${d.name}.localhost`;
/** The XMPP users of one adapter's checks: its owner, and one who registers. */
export const usersOf = (d: ConformanceAdapter) => ({ owner: `${d.name}-owner`, registrant: `${d.name}-reg` });
export const passwordOf = (user: string) => `${user}-pw`;

export interface Rig {
  readonly standIn: RunningStandIn;
  readonly gw: TestGateway;
  readonly target: GatewayUnderTest;
  readonly adapter: NetworkAdapter;
  readonly owner: TestClient;
  readonly domain: string;
  /** Every secret the gateway was given (component secret, credentials key, the adapter's own). */
  readonly secrets: readonly string[];
  /** The JID of a network address on this gateway. */
  jidOf(address: string): string;
  stop(): Promise<void>;
}

/** An XEP-0077 registration submitted as a data form. */
export function registerIq(domain: string, values: Readonly<Record<string, string>>): Element {
  const fields = Object.entries(values).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v)));
  return xml(
    "iq",
    { type: "set", to: domain },
    xml("query", { xmlns: NS_REGISTER }, xml("x", { xmlns: "jabber:x:data", type: "submit" }, ...fields)),
  );
}

/** The descriptor's entry for its adapter kind, wrapped to hand back the instance it creates. */
function capturing(base: AdapterEntry<unknown>, got: (a: NetworkAdapter) => void): AdapterEntry<unknown> {
  return entry({
    schema: base.schema,
    pacing: base.pacing,
    create(g, config, deps) {
      const adapter = base.create(g, config, deps);
      got(adapter);
      return adapter;
    },
  });
}

export async function startRig(d: ConformanceAdapter, server: XmppServer): Promise<Rig> {
  const standIn = await d.start();
  const domain = domainOf(d);
  const kind = String(standIn.gateway.adapter);
  const base = standIn.adapters?.[kind] ?? adapters[kind];
  if (!base) throw new Error(`no registry entry for adapter ${kind}`);
  let adapter: NetworkAdapter | undefined;
  const { owner: ownerUser } = usersOf(d);
  const bindInConfig = standIn.owner.register === undefined;
  const env = { COMPONENT_SECRET, CREDENTIALS_KEY, ...standIn.env };
  const gw = await startTestGateway({
    publicUrl: PUBLIC_URL,
    env,
    adapters: { ...standIn.adapters, [kind]: capturing(base, (a) => (adapter = a)) },
    config: {
      xmpp: { service: server.componentService },
      allowedDomains: ["localhost"],
      queue: { outboundAttempts: 3, outboundBackoffMs: 100 },
      credentials: { keys: { conformance: "${CREDENTIALS_KEY}" }, currentKey: "conformance" },
      gateways: [
        {
          id: d.name,
          domain,
          secret: "${COMPONENT_SECRET}",
          ...standIn.gateway,
          users: bindInConfig ? [{ jid: `${ownerUser}@localhost`, number: standIn.owner.address }] : [],
        },
      ],
    },
  });
  await gw.online();
  if (!adapter) throw new Error("the gateway did not create the adapter through its registry");
  const owner = await connectClient({ server, username: ownerUser, password: passwordOf(ownerUser) });
  if (standIn.owner.register) {
    const answer = await owner.iq(registerIq(domain, standIn.owner.register));
    if (answer.attrs.type !== "result") throw new Error(`the owner could not register: ${answer.toString()}`);
  }
  const made = adapter;
  return {
    standIn,
    gw,
    target: { id: d.name, localUrl: gw.localUrl, publicUrl: gw.publicUrl },
    adapter: made,
    owner,
    domain,
    secrets: Object.values(env),
    jidOf: (address) => `${made.formatAddress(address)}@${domain}`,
    async stop() {
      await owner.stop();
      await gw.stop();
      await standIn.stop();
    },
  };
}
