/**
 * The provider kit: what adapters of providers with a REST API (Twilio and its SignalWire
 * flavour, Telnyx, ...) compose, so each maps HTTP failures the same way. One job per file:
 * - http-errors.ts: the errors an adapter's HTTP client throws (an answer of 400 or more, or none
 *   at all), and the Retry-After header;
 * - send-errors.ts: from those to the core's send errors, with the provider's table of codes.
 */
export {
  asNetworkError,
  ProviderHttpError,
  ProviderNetworkError,
  parseRetryAfter,
} from "./http-errors.js";
export {
  type HttpFailure,
  type ProviderErrorTable,
  type SendErrorInfo,
  type SendErrors,
  sendErrors,
} from "./send-errors.js";
