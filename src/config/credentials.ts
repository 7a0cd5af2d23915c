/**
 * The `credentials` block: keys that encrypt self-service users' provider credentials in Redis
 * (see src/store/credential-cipher.ts), and the rule that a self-service gateway needs one.
 */
import { z } from "zod";

const KEY_BYTES = 32;

/** A base64 string that decodes to exactly 32 bytes (never echoed in the message: it is a key). */
const credentialsKey = z
  .string()
  .refine(
    (v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, "base64").length === KEY_BYTES,
    `must be ${KEY_BYTES} random bytes, base64-encoded (e.g. from \`openssl rand -base64 32\`)`,
  );

export const credentialsSchema = z
  .object({
    keys: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "key ids are letters, digits, _ . - (at most 64)"),
        credentialsKey,
      )
      .default({})
      .describe(
        'AES-256-GCM keys that encrypt the provider credentials of self-service users in Redis, by key id, e.g. `{ "2026-12": "${XGW_CREDENTIALS_KEY}" }`; each 32 random bytes, base64. Keep a retired key until `xmpp-gateway credentials re-encrypt` has run.',
      ),
    currentKey: z
      .string()
      .optional()
      .describe(
        "The key id that encrypts credentials stored from now on (and by re-encrypt); required when a gateway is self-service.",
      ),
  })
  .strict()
  .prefault({});

/** Self-service gateways store users' credentials encrypted: they need a current key. */
export function checkCredentialKeys(
  cfg: {
    credentials: z.infer<typeof credentialsSchema>;
    gateways: { id: string; registration: { mode: string } }[];
  },
  ctx: z.RefinementCtx,
): void {
  const { keys, currentKey } = cfg.credentials;
  const path = ["credentials", "currentKey"];
  if (currentKey !== undefined && !Object.hasOwn(keys, currentKey)) {
    const ids = Object.keys(keys).map((k) => `"${k}"`);
    ctx.addIssue({
      code: "custom",
      path,
      message: `"${currentKey}" is not one of credentials.keys (${ids.length > 0 ? ids.join(", ") : "none configured"})`,
    });
    return;
  }
  const selfService = cfg.gateways.findIndex((g) => g.registration.mode === "self-service");
  if (currentKey === undefined && selfService >= 0) {
    ctx.addIssue({
      code: "custom",
      path,
      message: `gateways[${selfService}] (${cfg.gateways[selfService]?.id}) is self-service: users' provider credentials are stored encrypted; set credentials.keys (a key id and 32 random bytes, base64, e.g. from \`openssl rand -base64 32\`) and credentials.currentKey`,
    });
  }
}
