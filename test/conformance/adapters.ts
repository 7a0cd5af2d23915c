/** The adapters the conformance suite runs for: one line each (its descriptor). */
import type { ConformanceAdapter } from "./descriptor.js";
import { simulatorConformance } from "./simulator.js";
import { twilioConformance } from "./twilio.js";

export const CONFORMANCE_ADAPTERS: readonly ConformanceAdapter[] = [simulatorConformance, twilioConformance];
