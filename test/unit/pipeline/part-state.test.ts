/** The per-part state machine (src/core/pipeline/part-state.ts), one test per transition. */
import { describe, expect, it } from "vitest";
import {
  isClaim,
  NEVER_SENT,
  newClaim,
  notesAfterFailure,
  stateOf,
} from "../../../src/core/pipeline/part-state.js";
import { cleanReason } from "../../../src/queue/admin.js";

const theirs = "in-flight:11111111-2222-3333-4444-555555555555";

describe("a part another attempt holds", () => {
  it("holding a provider id: sent, skipped", () => {
    expect(stateOf("SM123", undefined)).toEqual({ kind: "sent", providerMessageId: "SM123" });
  });

  it("holding a claim noted sent:<id>: accepted, the id is recorded instead of resending", () => {
    expect(stateOf(theirs, "sent:SM9")).toEqual({
      kind: "accepted",
      claim: theirs,
      providerMessageId: "SM9",
    });
  });

  it("holding a claim without a note (a crash): in flight, never resent", () => {
    expect(stateOf(theirs, undefined)).toEqual({ kind: "in-flight", claim: theirs });
  });

  it("gone between the claim and the look (expired or released): in flight, never resent", () => {
    expect(stateOf(undefined, undefined).kind).toBe("in-flight");
  });

  it("a note never-sent is no verdict here (the claim script takes such a claim over)", () => {
    expect(stateOf(theirs, NEVER_SENT)).toEqual({ kind: "in-flight", claim: theirs });
  });
});

describe("what a failed attempt leaves for the next", () => {
  const claim = newClaim();

  it("a claim whose request was never made, and that could not be taken back: never-sent", () => {
    expect(notesAfterFailure({ unsent: { claim, confirmed: true, released: false } })).toEqual(
      new Map([[claim, NEVER_SENT]]),
    );
  });

  it("a claim the store may have kept without answering: never-sent", () => {
    expect(notesAfterFailure({ unsent: { claim, confirmed: false, released: false } })).toEqual(
      new Map([[claim, NEVER_SENT]]),
    );
  });

  it("a claim taken back (released): nothing", () => {
    expect(notesAfterFailure({ unsent: { claim, confirmed: true, released: true } }).size).toBe(0);
  });

  it("a part the provider accepted whose id was not recorded: sent:<id>", () => {
    expect(notesAfterFailure({ accepted: { claim, providerMessageId: "SM42" } })).toEqual(
      new Map([[claim, "sent:SM42"]]),
    );
  });

  it("nothing known: no notes", () => {
    expect(notesAfterFailure({}).size).toBe(0);
  });
});

describe("claims", () => {
  it("are unique per attempt and tell themselves from provider ids", () => {
    const a = newClaim();
    expect(a).not.toBe(newClaim());
    expect(isClaim(a)).toBe(true);
    expect(isClaim("SM123")).toBe(false);
  });

  it("the dead-letter view drops notes older versions appended to the error", () => {
    expect(cleanReason(`provider busy [never sent: ${theirs}] [sent: ${theirs}=SM1]`)).toBe("provider busy");
    expect(cleanReason("no user owns +15559999999 on gateway sms")).toBe(
      "no user owns +15559999999 on gateway sms",
    );
  });
});
