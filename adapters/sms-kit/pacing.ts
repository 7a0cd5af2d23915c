/**
 * The pace SMS providers hold a long code (an ordinary 10-digit number) to: about one message
 * (segment) a second per number (Twilio and SignalWire long codes, Telnyx's per-number default
 * before a 10DLC campaign raises it). A small burst, then one a second: faster, the provider
 * queues or refuses with 429s. Toll-free and short codes are faster; operators set their pace.
 */
import type { Pace } from "../../src/core/ports.js";

export const LONG_CODE_PACE: Pace = { perSecond: 1, burst: 3 };
