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
