import { describe, expect, it } from "vitest";
import { classify, destinationPolicy } from "../../adapters/sms-kit/destination-policy.js";
import { destinationsSchema } from "../../src/config/limits-schema.js";
import { Refusal } from "../../src/core/errors.js";

/** The refusal text for `number` under `policy`, or "sent" when it is allowed. */
const verdict = (policy: (n: string) => void, number: string): string => {
  try {
    policy(number);
    return "sent";
  } catch (err) {
    expect(err).toBeInstanceOf(Refusal);
    expect((err as Refusal).condition).toBe("policy-violation");
    return (err as Error).message;
  }
};

describe("classify", () => {
  it.each([
    ["+19005551234", "premium-rate", "US"], // NANP 900
    ["+449098790000", "premium-rate", "GB"], // UK 09
    ["+448712345678", "premium-rate", "GB"], // UK 0871 (libphonenumber: premium rate)
    ["+881612345678", "satellite", "001"], // Global Mobile Satellite System (libphonenumber: MOBILE)
    ["+870773111632", "satellite", "001"], // Inmarsat (libphonenumber: MOBILE)
    ["+882161234567", "international-network", "001"], // Thuraya, under +882 (libphonenumber: VOIP)
    ["+883510012345", "international-network", "001"], // (libphonenumber: VOIP)
    ["+979123456789", "premium-rate", "001"], // international premium rate
    ["+80812345678", "shared-cost", "001"], // international shared cost
    ["+80012345678", "toll-free", "001"],
    ["+33612345678", "mobile", "FR"],
    ["+15417543010", "fixed-line-or-mobile", "US"],
    ["+15557001234", "unknown", "US"], // fictional 555: possible, not valid; main country of +1
    ["+447700900123", "unknown", "GB"], // Ofcom drama range
  ])("%s is %s in %s", (number, type, country) => {
    expect(classify(number)).toEqual({ type, country });
  });
});

describe("destinationPolicy", () => {
  const defaults = destinationPolicy(destinationsSchema.parse({}));

  it("refuses premium-rate, shared-cost, satellite and international-network numbers by default, in words", () => {
    expect(verdict(defaults, "+19005551234")).toBe(
      "+1 900 555 1234 is a premium-rate number; this gateway does not send to premium-rate numbers.",
    );
    expect(verdict(defaults, "+449098790000")).toMatch(/^\+44 909 879 0000 is a premium-rate number/);
    expect(verdict(defaults, "+881612345678")).toMatch(
      /is a satellite phone number; .* satellite phone numbers\.$/,
    );
    expect(verdict(defaults, "+870773111632")).toMatch(/is a satellite phone number/);
    expect(verdict(defaults, "+882161234567")).toMatch(
      /is a number of an international network \(\+882\/\+883\)/,
    );
    expect(verdict(defaults, "+883510012345")).toMatch(/international network/);
    expect(verdict(defaults, "+979123456789")).toMatch(/is a premium-rate number/);
    expect(verdict(defaults, "+80812345678")).toMatch(/is a shared-cost number/);
  });

  it("sends to ordinary numbers, and to numbers outside the allocated ranges, by default", () => {
    for (const n of ["+33612345678", "+15417543010", "+15557001234", "+4915112345678", "+80012345678"]) {
      expect(verdict(defaults, n)).toBe("sent");
    }
  });

  it("limits countries when told to, naming the country", () => {
    const usOnly = destinationPolicy(destinationsSchema.parse({ allowedCountries: ["US", "CA"] }));
    expect(verdict(usOnly, "+15417543010")).toBe("sent");
    expect(verdict(usOnly, "+15557001234")).toBe("sent");
    expect(verdict(usOnly, "+33612345678")).toBe(
      "+33 6 12 34 56 78 is a number in France; this gateway sends only to these countries: United States, Canada.",
    );
    expect(verdict(usOnly, "+80012345678")).toMatch(/is an international number;/);
  });

  it("allows only the listed types when told to, and can be opened completely", () => {
    const mobileOnly = destinationPolicy(
      destinationsSchema.parse({ allowedTypes: ["mobile", "fixed-line-or-mobile"], refusedTypes: [] }),
    );
    expect(verdict(mobileOnly, "+33612345678")).toBe("sent");
    expect(verdict(mobileOnly, "+390899123456")).toMatch(
      /is a landline number; this gateway does not send to landline numbers/,
    );
    expect(verdict(mobileOnly, "+15557001234")).toMatch(/outside the allocated ranges/);
    const open = destinationPolicy(destinationsSchema.parse({ refusedTypes: [] }));
    expect(verdict(open, "+19005551234")).toBe("sent");
    expect(verdict(open, "+881612345678")).toBe("sent");
  });

  it("classifies a number once, then answers from its cache", () => {
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) defaults("+33612345678");
    // Parsing takes about 50 µs a number; 10,000 of them from the cache take a millisecond or two.
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
