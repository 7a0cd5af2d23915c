/**
 * Self-service credentials at rest, on the local Redis (unique prefix): the registration store
 * keeps them AES-256-GCM encrypted, `xmpp-gateway credentials re-encrypt` moves every record to
 * the current key (so the old key can then be removed), and a record whose key is gone is a clear
 * error naming the key id.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { Registration } from "../../src/core/registrations.js";
import { CredentialCipher } from "../../src/store/credential-cipher.js";
import { storeKey } from "../../src/store/keys.js";
import { RedisRegistrationStore } from "../../src/store/registrations.js";
import { redisUrl, uniquePrefix } from "../harness/redis.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const GATEWAY = "sms";
const OLD_KEY = randomBytes(32).toString("base64");
const NEW_KEY = randomBytes(32).toString("base64");
const token = (who: string) => `${who}-own-token-${randomBytes(4).toString("hex")}`;
const registration = (who: string, n: number, authToken: string): Registration => ({
  jid: `${who}@example.org`,
  address: `+1555000${String(7000 + n)}`,
  source: "self-service",
  credentials: { accountSid: `AC${String(n).repeat(32).slice(0, 32)}`, authToken },
});

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli.ts"), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function configFile(prefix: string, keys: Record<string, string>, currentKey: string): string {
  const dir = mkdtempSync(join(tmpdir(), "xgw-creds-"));
  const file = join(dir, "gateway.yaml");
  const config = {
    redis: { url: redisUrl(), prefix },
    allowedDomains: ["example.org"],
    credentials: { keys, currentKey },
    gateways: [
      {
        id: GATEWAY,
        domain: "sms.example.org",
        secret: "s",
        adapter: "twilio",
        registration: { mode: "self-service" },
        twilio: { accountSid: `AC${"f".repeat(32)}`, authToken: "gw-token" },
      },
    ],
  };
  writeFileSync(file, stringify(config));
  return file;
}

describe("credentials at rest", () => {
  const prefix = uniquePrefix("credentials");
  let redis: Redis;
  const byJid = () => storeKey(prefix, "reg", GATEWAY, "by-jid");

  beforeAll(() => {
    redis = new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
  });

  afterAll(() => redis?.disconnect());

  it("stores no plaintext token and gives callers the credentials as before", async () => {
    const store = new RedisRegistrationStore(redis, prefix, new CredentialCipher({ old: OLD_KEY }, "old"));
    const secret = token("alice");
    const alice = registration("alice", 1, secret);
    await store.put(GATEWAY, alice);
    const raw = JSON.stringify(await redis.hgetall(byJid()));
    expect(raw).toContain(alice.address);
    expect(raw).not.toContain(secret);
    expect(await store.byJid(GATEWAY, alice.jid)).toEqual(alice);
    expect(await store.byAddress(GATEWAY, alice.address)).toEqual(alice);
    expect(await store.list(GATEWAY)).toContainEqual(alice);
  });

  it("refuses to store credentials when no key is configured", async () => {
    const store = new RedisRegistrationStore(redis, uniquePrefix("no-key"));
    await expect(store.put(GATEWAY, registration("nokey", 9, token("nokey")))).rejects.toThrow(
      /credentials\.currentKey/,
    );
  });

  it("re-encrypts every record with the current key; the old key can then go", async () => {
    const oldStore = new RedisRegistrationStore(redis, prefix, new CredentialCipher({ old: OLD_KEY }, "old"));
    const bob = registration("bob", 2, token("bob"));
    await oldStore.put(GATEWAY, bob);
    // A record written in plaintext by a version before encryption is encrypted too.
    const carolToken = token("carol");
    const carol = registration("carol", 3, carolToken);
    await redis.hset(byJid(), carol.jid, JSON.stringify(carol));
    await redis.hset(storeKey(prefix, "reg", GATEWAY, "by-number"), carol.address, carol.jid);
    // And a binding without credentials is left as it is.
    await oldStore.put(GATEWAY, { jid: "dave@example.org", address: "+15550007004", source: "admin" });

    const env = { XGW_OLD_KEY: OLD_KEY, XGW_NEW_KEY: NEW_KEY };
    const rotated = configFile(prefix, { old: "${XGW_OLD_KEY}", new: "${XGW_NEW_KEY}" }, "new");
    const r = await cli(["credentials", "re-encrypt", "--config", rotated], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /gateway sms: 4 registration\(s\): 3 re-encrypted with key "new" \(1 was plaintext\), 0 already current, 1 without credentials/,
    );
    expect(r.stdout + r.stderr).not.toContain(OLD_KEY);
    expect(r.stdout + r.stderr).not.toContain(carolToken);
    expect(JSON.stringify(await redis.hgetall(byJid()))).not.toContain(carolToken);

    const newOnly = new RedisRegistrationStore(redis, prefix, new CredentialCipher({ new: NEW_KEY }, "new"));
    expect(await newOnly.byJid(GATEWAY, bob.jid)).toEqual(bob);
    expect(await newOnly.byJid(GATEWAY, carol.jid)).toEqual(carol);
    expect(await newOnly.byJid(GATEWAY, "dave@example.org")).toMatchObject({ source: "admin" });

    const again = await cli(
      ["credentials", "re-encrypt", "--config", configFile(prefix, { new: "${XGW_NEW_KEY}" }, "new")],
      env,
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 re-encrypted with key "new" \(0 was plaintext\), 3 already current/);
  });

  it("names the missing key id (never a key) when a record's key is gone", async () => {
    const p = uniquePrefix("gone-key");
    const gone = new CredentialCipher({ gone: OLD_KEY }, "gone");
    const erin = registration("erin", 5, token("erin"));
    await new RedisRegistrationStore(redis, p, gone).put(GATEWAY, erin);
    const store = new RedisRegistrationStore(redis, p, new CredentialCipher({ new: NEW_KEY }, "new"));
    await expect(store.byJid(GATEWAY, erin.jid)).rejects.toThrow(/key "gone".*not configured/);
    const r = await cli(
      ["credentials", "re-encrypt", "--config", configFile(p, { new: "${XGW_NEW_KEY}" }, "new")],
      { XGW_NEW_KEY: NEW_KEY },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /1 registration\(s\) of gateway sms are encrypted with key "gone", which is not configured/,
    );
    expect(r.stdout + r.stderr).not.toContain(OLD_KEY);
    expect(r.stdout + r.stderr).not.toContain(NEW_KEY);
  });
});
