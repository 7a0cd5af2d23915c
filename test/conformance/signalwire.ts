/**
 * The SignalWire flavour in the conformance suite: the Twilio stand-in playing SignalWire's LaML
 * API (requests under /api/laml checked against Twilio's spec, UUID project and message ids),
 * webhooks signed with the project's Signing Key in X-SignalWire-Signature.
 */
import { randomUUID } from "node:crypto";
import { twilioLikeConformance } from "./twilio.js";

const PROJECT = "6f1c2a4e-9b3d-4c5e-8a7f-0d1e2f3a4b5c";
const API_TOKEN = "PT-signalwire-conformance-77aa";
const SIGNING_KEY = "PSK-signalwire-signing-conformance-31c9";

export const signalwireConformance = twilioLikeConformance({
  name: "signalwire",
  signalwire: true,
  account: PROJECT,
  signingKey: SIGNING_KEY,
  apiToken: API_TOKEN,
  signatureHeader: "x-signalwire-signature",
  newId: () => randomUUID(),
  gateway: (spaceUrl) => ({
    adapter: "signalwire",
    signalwire: {
      spaceUrl,
      projectId: PROJECT,
      apiToken: "${SIGNALWIRE_API_TOKEN}",
      signingKey: "${SIGNALWIRE_SIGNING_KEY}",
    },
  }),
  env: { SIGNALWIRE_API_TOKEN: API_TOKEN, SIGNALWIRE_SIGNING_KEY: SIGNING_KEY },
});
