/**
 * The XMPP side of one gateway's component role: takes users' message stanzas in
 * (outbound-intake.ts, which hands them to the pipeline) and answers everything else (disco,
 * registration, commands, presence: features.ts). Deliveries to users go out through
 * xmpp-outlet.ts, run by the to-xmpp worker that src/roles/component.ts starts beside this.
 */
import type { RegistrationMode } from "../core/enrolment.js";
import type { RegistrationChecks } from "../core/rate-limits.js";
import type { QueueAdmin } from "./commands/queue-admin.js";
import { startFeatures } from "./features.js";
import { type IntakeOptions, outboundIntake } from "./outbound-intake.js";

export interface ComponentRoleOptions extends IntakeOptions {
  /** Shown in service discovery (default: the domain). */
  readonly name?: string;
  /** Bare JIDs allowed to run the admin commands. */
  readonly admins?: ReadonlySet<string>;
  readonly registrationMode?: RegistrationMode;
  /** For the admin queue commands; without it they are not offered. */
  readonly queues?: QueueAdmin;
  /** How often a user may have a self-service registration checked with the provider. */
  readonly registrationChecks?: RegistrationChecks;
}

export interface ComponentRole {
  stop(): Promise<void>;
}

export function startComponentRole(o: ComponentRoleOptions): ComponentRole {
  const { transport } = o;
  const onMessage = outboundIntake(o);
  transport.on("stanza", (el) => {
    if (el.name === "message") void onMessage(el);
  });
  const features = startFeatures({
    ...o,
    name: o.name ?? transport.domain,
    admins: o.admins ?? new Set(),
    mode: o.registrationMode ?? "provisioned",
  });
  return {
    async stop() {
      // Unavailable presence goes out while the stream is still open (the transport closes after).
      await features.stop();
    },
  };
}
