/**
 * Encryption of users' stored provider credentials (self-service registrations): AES-256-GCM
 * (node:crypto), a random 96-bit IV per record, the key id stored beside the ciphertext so keys
 * can rotate (any configured key opens a record; new records use the current key). The
 * additional authenticated data is the record's context (gateway and JID): a sealed blob copied
 * onto another user's record does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";

export const sealedSchema = z
  .object({
    /** Id of the key that sealed it (credentials.keys). */
    kid: z.string().min(1),
    iv: z.string().min(1),
    tag: z.string().min(1),
    ct: z.string(),
  })
  .strict();
export type Sealed = z.infer<typeof sealedSchema>;

const credentialsSchema = z.record(z.string(), z.string());

const KEY_BYTES = 32;
const IV_BYTES = 12;

/** A record sealed with a key that is not configured (any more). Names the key id, never a key. */
export class CredentialKeyMissingError extends Error {
  override readonly name = "CredentialKeyMissingError";
  constructor(
    readonly keyId: string,
    context: string,
  ) {
    super(
      `stored credentials (${context.replace("\n", " ")}) are encrypted with key "${keyId}", which is not configured (credentials.keys); add that key back, then run \`xmpp-gateway credentials re-encrypt\``,
    );
  }
}

export class CredentialCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;

  /** `keys`: key id -> 32 bytes, base64. `currentKey` seals from now on. */
  constructor(
    keys: Readonly<Record<string, string>>,
    readonly currentKey: string,
  ) {
    const decoded = new Map<string, Buffer>();
    for (const [id, b64] of Object.entries(keys)) {
      const key = Buffer.from(b64, "base64");
      if (key.length !== KEY_BYTES) throw new Error(`credentials key "${id}" must be ${KEY_BYTES} bytes`);
      decoded.set(id, key);
    }
    if (!decoded.has(currentKey)) throw new Error(`credentials.currentKey "${currentKey}" is not configured`);
    this.keys = decoded;
  }

  seal(credentials: Readonly<Record<string, string>>, context: string): Sealed {
    const key = this.keys.get(this.currentKey) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ct = Buffer.concat([cipher.update(JSON.stringify(credentials), "utf8"), cipher.final()]);
    return {
      kid: this.currentKey,
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      ct: ct.toString("base64"),
    };
  }

  /** Throws CredentialKeyMissingError, or an Error when the record was altered. */
  open(sealed: Sealed, context: string): Record<string, string> {
    const key = this.keys.get(sealed.kid);
    if (!key) throw new CredentialKeyMissingError(sealed.kid, context);
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ct, "base64")), decipher.final()]);
      return credentialsSchema.parse(JSON.parse(plain.toString("utf8")));
    } catch {
      throw new Error(
        `stored credentials (${context.replace("\n", " ")}) cannot be decrypted with key "${sealed.kid}": the record or the key is not the one it was sealed with`,
      );
    }
  }
}

/** The cipher of a `credentials` config block, or undefined when it names no current key. */
export function cipherFromConfig(config: {
  readonly keys: Readonly<Record<string, string>>;
  readonly currentKey?: string | undefined;
}): CredentialCipher | undefined {
  return config.currentKey === undefined ? undefined : new CredentialCipher(config.keys, config.currentKey);
}
