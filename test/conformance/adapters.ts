/**
 * The adapters the conformance suite runs for: one line each (its descriptor).
 * The loopback network (./loopback/descriptor.js, `loopbackConformance`) joins this list once the
 * network-neutral core has landed: before it, the core answers its JSON webhooks with 415 and
 * shows its contacts as client/phone.
 */
import type { ConformanceAdapter } from "./descriptor.js";
import { simulatorConformance } from "./simulator.js";
import { twilioConformance } from "./twilio.js";

export const CONFORMANCE_ADAPTERS: readonly ConformanceAdapter[] = [simulatorConformance, twilioConformance];
