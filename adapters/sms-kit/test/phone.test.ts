/**
 * formatForHumans (a contact's nickname): the numbering plan of the calling code, without a
 * parse's region detection, reads the same as a parse's format for every canonical number.
 */
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { describe, expect, it } from "vitest";
import { formatForHumans } from "../phone.js";

describe("formatForHumans", () => {
  it("writes numbers as people do", () => {
    expect(formatForHumans("+15557654321")).toBe("+1 555 765 4321");
    expect(formatForHumans("+447700900123")).toBe("+44 7700 900123");
    expect(formatForHumans("+33612345678")).toBe("+33 6 12 34 56 78");
  });

  it("reads as a parse formats it, for every country's example number and near misses of it", () => {
    const numbers = getCountries().flatMap((country) => {
      const n = getExampleNumber(country, examples);
      if (!n) return [];
      const cc = n.countryCallingCode;
      const nat = n.nationalNumber;
      // Near misses (too long, too short) of a national number that starts with 0 (Gabon's) are
      // the trunk-0 case below: a parse drops the 0.
      if (nat.startsWith("0")) return [n.number];
      return [n.number, `+${cc}${nat}1`, `+${cc}${nat.slice(0, -2)}`, `+${cc}${nat.slice(0, 3)}`];
    });
    expect(numbers.length).toBeGreaterThan(900);
    const differ = numbers
      .filter((n) => /^\+[1-9]\d{1,14}$/.test(n))
      .filter((n) => formatForHumans(n) !== (parsePhoneNumberFromString(n)?.formatInternational() ?? n));
    expect(differ).toEqual([]);
  });

  it("shows the digits written, not another number, when a trunk 0 follows the calling code", () => {
    // A parse drops the 0 and would show +44 7400 123456: another number than the address.
    expect(formatForHumans("+4407400123456")).toBe("+44 07400123456");
  });

  it("leaves what it cannot format as it is", () => {
    for (const s of ["+12", "+999123", "alice", "+1 555 765 4321", ""]) expect(formatForHumans(s)).toBe(s);
  });
});
