import { describe, expect, it } from "vitest";
import { acceptedAccount, NO_LONGER_REGISTERED, ownAccounts } from "../../src/core/own-accounts.js";
import type { Registration } from "../../src/core/registrations.js";
import { MemoryRegistrationStore } from "../harness/memory-registrations.js";

const ALICE = "alice@example.org";
const NUMBER = "+15550001111";
const own = (accountSid: string): Registration => ({
  jid: ALICE,
  address: NUMBER,
  source: "self-service",
  credentials: { accountSid, authToken: `${accountSid}-token` },
});
const accountOf = (c: Readonly<Record<string, string>>) => c.accountSid ?? "";

describe("own accounts: a message is sent with the account it was accepted for, or not at all", () => {
  const setup = async (registration?: Registration) => {
    const store = new MemoryRegistrationStore();
    if (registration) await store.put("sms", registration);
    return { store, resolve: ownAccounts(store, "sms", accountOf) };
  };
  const claim = { from: NUMBER, senderBare: ALICE, account: { kind: "self-service", id: "ACa" } as const };

  it("names the account a registration's messages are accepted for", () => {
    expect(acceptedAccount(own("ACa"), accountOf)).toEqual({ kind: "self-service", id: "ACa" });
    expect(acceptedAccount({ jid: ALICE, address: NUMBER, source: "config" }, accountOf)).toEqual({
      kind: "gateway",
    });
  });

  it("sends with the user's credentials while she is registered with that account", async () => {
    const { resolve } = await setup(own("ACa"));
    expect(await resolve(claim)).toEqual({
      account: { number: NUMBER, credentials: own("ACa").credentials },
      id: "ACa",
    });
  });

  it("refuses once she unregistered, moved to another number, or registered another account", async () => {
    const gone = await setup();
    await expect(gone.resolve(claim)).rejects.toThrow(NO_LONGER_REGISTERED);
    const moved = await setup({ ...own("ACa"), address: "+15550002222" });
    await expect(moved.resolve(claim)).rejects.toThrow(NO_LONGER_REGISTERED);
    const other = await setup(own("ACb"));
    await expect(other.resolve(claim)).rejects.toMatchObject({ condition: "registration-required" });
  });

  it("sends a message accepted for the gateway's account with it", async () => {
    const { resolve } = await setup(own("ACa"));
    expect(await resolve({ ...claim, account: { kind: "gateway" } })).toEqual({
      account: { number: NUMBER },
    });
  });

  it("sends a job of an older version (no account named) as those versions did", async () => {
    const { resolve } = await setup(own("ACa"));
    const { account: _none, ...legacy } = claim;
    expect(await resolve(legacy)).toMatchObject({
      account: { credentials: { accountSid: "ACa" } },
      id: "ACa",
    });
    const gone = await setup();
    expect(await gone.resolve(legacy)).toEqual({ account: { number: NUMBER } });
  });
});
