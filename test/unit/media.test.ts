import { describe, expect, it } from "vitest";
import type { Capabilities } from "../../src/core/adapter.js";
import { parseDuration } from "../../src/core/duration.js";
import { Refusal } from "../../src/core/errors.js";
import { checkOutboundMedia } from "../../src/core/media.js";

const caps: Capabilities = {
  gatewayType: "sms",
  maxBodyLength: 1600,
  deliveryReports: true,
  media: true,
  maxMedia: 2,
};

describe("checkOutboundMedia", () => {
  it("accepts http(s) URLs up to the limit", () => {
    expect(() =>
      checkOutboundMedia(["https://u.example/a.jpg", "http://u.example/b.png"], caps),
    ).not.toThrow();
    expect(() => checkOutboundMedia([], { ...caps, media: false })).not.toThrow();
  });

  it.each([
    [["https://u.example/1", "https://u.example/2", "https://u.example/3"], caps, /at most 2/],
    [["ftp://u.example/a.jpg"], caps, /only https, http/],
    [["aesgcm://u.example/a.jpg#key"], caps, /only https, http/],
    [["not a url"], caps, /not a URL/],
    [["https://u.example/a.jpg"], { ...caps, media: false }, /cannot send media/],
    [["http://u.example/a.jpg"], { ...caps, mediaUrlSchemes: ["https"] }, /only https URLs/],
  ])("refuses %j with not-acceptable", (urls, c, text) => {
    let err: unknown;
    try {
      checkOutboundMedia(urls, c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Refusal);
    expect((err as Refusal).condition).toBe("not-acceptable");
    expect((err as Refusal).message).toMatch(text);
  });
});

describe("checkOutboundMedia: private hosts and credentials", () => {
  const refusal = (urls: string[], policy?: Parameters<typeof checkOutboundMedia>[2]) => {
    try {
      checkOutboundMedia(urls, caps, policy);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it.each([
    ["http://127.0.0.1/a.jpg", "loopback"],
    ["http://127.1/a.jpg", "loopback"],
    ["http://0x7f.1/a.jpg", "loopback"],
    ["http://0177.0.0.1/a.jpg", "loopback"],
    ["http://2130706433/a.jpg", "loopback"],
    ["https://[::1]/a.jpg", "loopback"],
    ["https://[::ffff:127.0.0.1]/a.jpg", "loopback"],
    ["https://[::ffff:10.1.2.3]/a.jpg", "private"],
    ["http://localhost/a.jpg", "localhost"],
    ["http://LOCALHOST./a.jpg", "localhost"],
    ["http://media.localhost:8080/a.jpg", "localhost"],
    ["http://10.0.0.5:8080/a.jpg", "private"],
    ["http://172.16.3.4/a.jpg", "private"],
    ["http://192.168.1.1/a.jpg", "private"],
    ["http://169.254.169.254/latest/meta-data/", "linkLocal"],
    ["http://[fe80::1]/a.jpg", "linkLocal"],
    ["http://[fd12:3456::1]/a.jpg", "uniqueLocal"],
    ["http://0.0.0.0/a.jpg", "unspecified"],
    ["http://0/a.jpg", "unspecified"],
    ["http://[::]/a.jpg", "unspecified"],
    ["http://100.64.0.1/a.jpg", "carrierGradeNat"],
    ["http://[64:ff9b::a00:1]/a.jpg", "rfc6052"],
    ["http://224.0.0.1/a.jpg", "multicast"],
  ])("refuses %j (%s) with policy-violation", (url, range) => {
    const err = refusal([url]);
    expect(err).toBeInstanceOf(Refusal);
    expect((err as Refusal).condition).toBe("policy-violation");
    expect((err as Refusal).message).toMatch(/private or local address/);
    expect((err as Refusal).message).toContain(range);
    // Allowed by the operator: accepted.
    expect(refusal([url], { allowPrivateHosts: true, allowCredentials: false })).toBeUndefined();
  });

  it.each([
    "https://user:secret-pw@media.example/a.jpg",
    "https://user@media.example/a.jpg",
    "https://:secret-pw@media.example/a.jpg",
  ])("refuses %j (credentials) without repeating them", (url) => {
    const err = refusal([url]);
    expect(err).toBeInstanceOf(Refusal);
    expect((err as Refusal).condition).toBe("policy-violation");
    expect((err as Refusal).message).toMatch(/user name or password/);
    expect((err as Refusal).message).not.toMatch(/secret-pw|user@/);
    expect(refusal([url], { allowPrivateHosts: false, allowCredentials: true })).toBeUndefined();
  });

  it.each([
    "https://media.example/a.jpg",
    "https://8.8.8.8/a.jpg",
    "https://[2606:4700::1111]/a.jpg",
    // Names are not resolved here (the provider fetches them): a name for a private address passes.
    "https://10.0.0.5.nip.example/a.jpg",
  ])("accepts %j", (url) => {
    expect(refusal([url])).toBeUndefined();
  });

  it("refuses a URL longer than the limit with not-acceptable", () => {
    const err = refusal([`https://media.example/${"a".repeat(3000)}`]);
    expect((err as Refusal).condition).toBe("not-acceptable");
    expect((err as Refusal).message).toMatch(/at most 2048/);
  });
});

describe("parseDuration", () => {
  it.each([
    ["7d", 7 * 86_400_000],
    ["12h", 12 * 3_600_000],
    ["30m", 1_800_000],
    ["45s", 45_000],
    ["500ms", 500],
    ["0s", 0],
    ["2w", 14 * 86_400_000],
  ])("reads %s", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "7", "d", "7 days", "-1d", "1.5h"])("refuses %j", (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
