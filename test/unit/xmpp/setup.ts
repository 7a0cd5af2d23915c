/** A FakeTransport with the component's features on it, for stanza-level tests. */
import { type Element, xml } from "@xmpp/component";
import { smsCapabilities } from "../../../adapters/sms-kit/index.js";
import { formatSmsAddress, parseSmsLocalpart } from "../../../adapters/sms-kit/sms-address.js";
import { limitsSchema } from "../../../src/config/limits-schema.js";
import type { NetworkAdapter, RegistrationSpec } from "../../../src/core/adapter.js";
import type { RegistrationMode } from "../../../src/core/enrolment.js";
import type { MessageRules } from "../../../src/core/message-cost.js";
import type { QueueAdmin } from "../../../src/xmpp/commands/queue-admin.js";
import { type Features, startFeatures } from "../../../src/xmpp/features.js";
import { FakeTransport } from "../../harness/fake-transport.js";
import { MemoryRegistrationStore } from "../../harness/memory-registrations.js";
import { silentLogger } from "../../harness/silent-logger.js";

export const DOMAIN = "sms.example.org";
export const ALICE = "alice@example.org/phone";
export const ADMIN = "root@example.org/desk";
export const MALLORY = "mallory@evil.example/x";

/** The intake's message rules with the configuration's default caps. */
export const DEFAULT_RULES: MessageRules = {
  caps: limitsSchema.parse({}),
  longMessages: "split",
  corrections: "send",
};

export function fakeAdapter(registration?: RegistrationSpec): NetworkAdapter {
  const phone = { defaultRegion: "US", check: "possible" as const };
  return {
    kind: "fake",
    ...smsCapabilities(),
    capabilities: {
      gatewayType: "sms",
      maxBodyLength: 1600,
      deliveryReports: true,
      media: false,
      maxMedia: 0,
    },
    parseAddress: (l) => parseSmsLocalpart(l, phone),
    formatAddress: formatSmsAddress,
    send: async () => ({ providerMessageId: "x" }),
    ...(registration ? { registration } : {}),
  };
}

export interface Setup {
  readonly transport: FakeTransport;
  readonly registrations: MemoryRegistrationStore;
  readonly features: Features;
}

export function setup(
  o: {
    mode?: RegistrationMode;
    registration?: RegistrationSpec;
    queues?: QueueAdmin;
    adapter?: NetworkAdapter;
  } = {},
): Setup {
  const transport = new FakeTransport(DOMAIN);
  transport.goOnline();
  const registrations = new MemoryRegistrationStore();
  const features = startFeatures({
    gatewayId: "sms",
    transport,
    adapter: o.adapter ?? fakeAdapter(o.registration),
    registrations,
    allowedDomains: new Set(["example.org"]),
    admins: new Set(["root@example.org"]),
    mode: o.mode ?? "self-service",
    name: "SMS gateway",
    logger: silentLogger,
    ...(o.queues ? { queues: o.queues } : {}),
  });
  return { transport, registrations, features };
}

export function iq(type: "get" | "set", to: string, from: string, ...children: Element[]): Element {
  return xml("iq", { type, to, from }, ...children);
}

export function submitForm(values: Record<string, string>): Element {
  return xml(
    "x",
    { xmlns: "jabber:x:data", type: "submit" },
    ...Object.entries(values).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v))),
  );
}

export function fieldValue(form: Element | undefined, name: string): string[] {
  const field = form?.getChildren("field").find((f) => f.attrs.var === name);
  return field?.getChildren("value").map((v) => v.getText()) ?? [];
}
