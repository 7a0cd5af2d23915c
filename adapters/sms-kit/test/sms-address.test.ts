import { describe, expect, it } from "vitest";
import { AddressError } from "../../../src/core/errors.js";
import { parseSmsLocalpart } from "../sms-address.js";

describe("parseSmsLocalpart (remembers numbers it parsed)", () => {
  it("gives the same answer the second time, per region: a remembered number is not reused for another region", () => {
    const us = { defaultRegion: "US", check: "possible" } as const;
    const gb = { defaultRegion: "GB", check: "possible" } as const;
    expect(parseSmsLocalpart("2025550123", us)).toBe("+12025550123");
    expect(parseSmsLocalpart("2025550123", us)).toBe("+12025550123");
    expect(parseSmsLocalpart("2079460958", gb)).toBe("+442079460958");
    expect(parseSmsLocalpart("2079460958", us)).toBe("+12079460958");
  });

  it("per check: a number possible but not valid is refused under 'valid' even after it parsed under 'possible'", () => {
    expect(parseSmsLocalpart("+15555550123", { check: "possible" })).toBe("+15555550123");
    expect(() => parseSmsLocalpart("+15555550123", { check: "valid" })).toThrow(AddressError);
  });

  it("keeps refusing what is not a number", () => {
    for (let i = 0; i < 2; i++)
      expect(() => parseSmsLocalpart("pizza", { check: "possible" })).toThrow(AddressError);
  });
});
