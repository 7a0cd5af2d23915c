/** The issue's `telnyx:` block loads as written, with defaults; a wrong public key is named by path. */
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.js";
import { adapterSchemas, secretValues } from "../../src/main.js";
import { telnyxKeyPair } from "../harness/telnyx-events.js";

const block = (publicKey: string) => `
xmpp: { service: "xmpp://127.0.0.1:5347" }
http: { publicUrl: "https://gw.example.org" }
allowedDomains: [example.org]
gateways:
  - id: tx
    domain: sms.example.org
    secret: s3cret
    adapter: telnyx
    telnyx:
      apiKey: \${TELNYX_API_KEY}
      publicKey: ${publicKey}        # base64 Ed25519 key from the portal, for webhooks
      messagingProfileId: \${TELNYX_PROFILE}  # optional
      apiBaseUrl: https://api.telnyx.com     # override for tests
    users: [{ jid: alice@example.org, number: "+15550001111" }]
`;
const env = { TELNYX_API_KEY: "KEY0123456789", TELNYX_PROFILE: "4001767e-ce0f-4cae-9d5f-0d5e636e7809" };

describe("telnyx config block", () => {
  it("loads the block of the issue, and its API key is never logged", () => {
    const { publicKey } = telnyxKeyPair();
    const result = parseConfigText(
      block("${TELNYX_PUBLIC_KEY}"),
      { ...env, TELNYX_PUBLIC_KEY: publicKey },
      adapterSchemas,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.gateways[0]?.adapterConfig).toEqual({
      apiKey: "KEY0123456789",
      publicKey,
      messagingProfileId: env.TELNYX_PROFILE,
      apiBaseUrl: "https://api.telnyx.com",
      requestTimeoutMs: 15_000,
    });
    expect(secretValues(result.config)).toContain("KEY0123456789");
  });

  it("refuses a public key that is not 32 bytes of base64, naming the path", () => {
    const result = parseConfigText(block("not-a-key"), env, adapterSchemas);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toContain("gateways[0].telnyx.publicKey");
  });
});
