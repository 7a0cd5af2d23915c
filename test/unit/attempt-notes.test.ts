import { describe, expect, it } from "vitest";
import { readNotes, writeNotes } from "../../src/core/pipeline/attempt-notes.js";

const a = "in-flight:0f8e6c1a-1b2c-4d5e-8f90-123456789abc";
const b = "in-flight:7d6c5b4a-3e2f-4a1b-9c8d-abcdef012345";

describe("attempt notes (carried in a failed attempt's error message)", () => {
  it("reads back what was written, after the error's own text", () => {
    const sent = new Map([[b, "SM0123456789abcdef0123456789abcdef"]]);
    const text = `Connection is closed.${writeNotes({ neverSent: [a], sent })}`;
    expect(readNotes(text)).toEqual({ neverSent: [a], sent });
  });

  it("keeps provider ids with spaces, brackets and equals signs intact", () => {
    const sent = new Map([[a, "id with spaces=and] [brackets"]]);
    expect(readNotes(`x${writeNotes({ neverSent: [], sent })}`).sent.get(a)).toBe(
      "id with spaces=and] [brackets",
    );
  });

  it("says nothing when there is nothing to say, and reads nothing from other errors", () => {
    expect(writeNotes({ neverSent: [], sent: new Map() })).toBe("");
    expect(readNotes("provider busy [never sent: not-a-claim]")).toEqual({ neverSent: [], sent: new Map() });
    expect(readNotes(undefined)).toEqual({ neverSent: [], sent: new Map() });
  });

  it("names a claim once", () => {
    expect(writeNotes({ neverSent: [a, b, a], sent: new Map() })).toBe(` [never sent: ${a} ${b}]`);
  });
});
