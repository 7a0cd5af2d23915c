import { describe, expect, it } from "vitest";
import { optedOutText, optOutKeyword } from "../optout.js";

describe("optOutKeyword", () => {
  it.each(["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "CANCEL", "end", "QUIT", "stop!", "Stop."])(
    "takes %j as STOP",
    (body) => expect(optOutKeyword(body)).toBe("stop"),
  );

  it.each(["START", "start", "UNSTOP", "yes", "Yes!"])("takes %j as START", (body) =>
    expect(optOutKeyword(body)).toBe("start"),
  );

  it.each(["please stop", "stop it", "STOPP", "", "help", "yes please", "the end"])(
    "takes %j as ordinary text",
    (body) => expect(optOutKeyword(body)).toBeUndefined(),
  );

  it("names both numbers and how to opt back in", () => {
    const text = optedOutText("+15557654321", "+15550001111");
    expect(text).toContain("+15557654321");
    expect(text).toContain("STOP");
    expect(text).toContain("START");
  });
});
