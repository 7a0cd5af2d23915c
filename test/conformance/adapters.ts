/**
 * The adapters the conformance suite runs for: one line each (its descriptor). The loopback is
 * defined only under test/ (./loopback): the proof that a network needs nothing outside its
 * folder but this line.
 */
import type { ConformanceAdapter } from "./descriptor.js";
import { emailConformance } from "./email.js";
import { loopbackConformance } from "./loopback/descriptor.js";
import { signalwireConformance } from "./signalwire.js";
import { simulatorConformance } from "./simulator.js";
import { telnyxConformance } from "./telnyx.js";
import { twilioConformance } from "./twilio.js";

export const CONFORMANCE_ADAPTERS: readonly ConformanceAdapter[] = [
  simulatorConformance,
  twilioConformance,
  loopbackConformance,
  telnyxConformance,
  signalwireConformance,
  emailConformance,
];
