import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CredentialCipher, CredentialKeyMissingError } from "../../src/store/credential-cipher.js";

const K1 = randomBytes(32).toString("base64");
const K2 = randomBytes(32).toString("base64");
const CREDS = { accountSid: `AC${"1".repeat(32)}`, authToken: "the-token-5e1f" };
const CONTEXT = "sms\nalice@example.org";

describe("credential cipher (AES-256-GCM)", () => {
  it("seals credentials under the current key id and opens them again", () => {
    const cipher = new CredentialCipher({ k1: K1 }, "k1");
    const sealed = cipher.seal(CREDS, CONTEXT);
    expect(sealed.kid).toBe("k1");
    expect(JSON.stringify(sealed)).not.toContain("the-token-5e1f");
    expect(cipher.open(sealed, CONTEXT)).toEqual(CREDS);
  });

  it("uses a fresh IV every time", () => {
    const cipher = new CredentialCipher({ k1: K1 }, "k1");
    const a = cipher.seal(CREDS, CONTEXT);
    const b = cipher.seal(CREDS, CONTEXT);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
  });

  it("opens with any configured key, and names a missing key id without the key", () => {
    const sealed = new CredentialCipher({ k1: K1 }, "k1").seal(CREDS, CONTEXT);
    expect(new CredentialCipher({ k1: K1, k2: K2 }, "k2").open(sealed, CONTEXT)).toEqual(CREDS);
    const without = new CredentialCipher({ k2: K2 }, "k2");
    expect(() => without.open(sealed, CONTEXT)).toThrow(CredentialKeyMissingError);
    expect(() => without.open(sealed, CONTEXT)).toThrow(/"k1"/);
    try {
      without.open(sealed, CONTEXT);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(K1);
      expect(String((err as Error).message)).not.toContain(K2);
    }
  });

  it("refuses a tampered ciphertext, tag, or a record moved to another user", () => {
    const cipher = new CredentialCipher({ k1: K1 }, "k1");
    const sealed = cipher.seal(CREDS, CONTEXT);
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, "base64");
      buf[0] = (buf[0] ?? 0) ^ 1;
      return buf.toString("base64");
    };
    expect(() => cipher.open({ ...sealed, ct: flip(sealed.ct) }, CONTEXT)).toThrow(/cannot be decrypted/);
    expect(() => cipher.open({ ...sealed, tag: flip(sealed.tag) }, CONTEXT)).toThrow(/cannot be decrypted/);
    expect(() => cipher.open(sealed, "sms\nmallory@example.org")).toThrow(/cannot be decrypted/);
  });

  it("refuses keys that are not 32 bytes and a current key that is not configured", () => {
    expect(() => new CredentialCipher({ k1: Buffer.alloc(16).toString("base64") }, "k1")).toThrow(/32 bytes/);
    expect(() => new CredentialCipher({ k1: K1 }, "k9")).toThrow(/k9/);
  });
});
