/**
 * Telnyx webhook signatures: `telnyx-signature-ed25519` is the base64 Ed25519 signature of
 * `${telnyx-timestamp}|${raw body}` by the account's key pair; the portal shows the public key
 * (base64, 32 bytes). A timestamp more than TOLERANCE_SECONDS away from now is refused, so a
 * webhook captured and replayed later is refused even though its signature is genuine.
 */
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { WebhookAuthError } from "../../src/core/adapter.js";

/** How far `telnyx-timestamp` may be from now, either way (Telnyx's SDKs use the same). */
export const TOLERANCE_SECONDS = 300;

/** A base64 Ed25519 public key (32 raw bytes) as a node:crypto key. */
export function ed25519PublicKey(base64: string): KeyObject {
  const raw = Buffer.from(base64.trim(), "base64");
  if (raw.length !== 32) throw new Error("an Ed25519 public key is 32 bytes");
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") },
    format: "jwk",
  });
}

/**
 * Throws WebhookAuthError unless the headers sign `rawBody` with one of `keys` within the window.
 * Resolves with the index of the key that signed it.
 */
export function verifyTelnyxSignature(
  keys: readonly KeyObject[],
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
  nowMs: number = Date.now(),
): number {
  const signature = header(headers, "telnyx-signature-ed25519");
  const timestamp = header(headers, "telnyx-timestamp");
  if (!signature) throw new WebhookAuthError("missing telnyx-signature-ed25519 header");
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookAuthError("missing or malformed telnyx-timestamp header");
  }
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > TOLERANCE_SECONDS) {
    throw new WebhookAuthError(
      `telnyx-timestamp is ${Math.round(skew)} s away (more than ${TOLERANCE_SECONDS} s)`,
    );
  }
  const sig = Buffer.from(signature, "base64");
  if (sig.length !== 64) throw new WebhookAuthError("telnyx-signature-ed25519 is not an Ed25519 signature");
  const signed = Buffer.from(`${timestamp}|${rawBody}`, "utf8");
  for (const [i, key] of keys.entries()) {
    if (verify(null, signed, key, sig)) return i;
  }
  throw new WebhookAuthError("telnyx-signature-ed25519 does not match the body and timestamp");
}

function header(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value?.trim();
  }
  return undefined;
}
