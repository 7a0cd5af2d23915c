/**
 * A bounce counts only for a recipient the mail was sent to: the gateway's Message-ID carries a
 * tag of its recipient, so someone who saw the id (the recipient) cannot report it failed for
 * another address and put words of their choosing in the sender's error.
 */
import { describe, expect, it } from "vitest";
import { deliveryReport } from "../../../test/harness/delivery-report.js";
import { messageIdFor } from "../compose.js";
import { eventsFor } from "../events.js";
import { parseMail } from "../parse.js";

const report = (messageId: string, finalRecipient: string, originalRecipient?: string) =>
  deliveryReport({
    to: "alice@mail.localhost",
    messageId,
    finalRecipient,
    ...(originalRecipient === undefined ? {} : { originalRecipient }),
  });

const sent = messageIdFor("o-1", "alice@mail.localhost", "bob@example.com");
const events = async (raw: string) =>
  eventsFor(
    await parseMail(raw),
    { from: "", recipients: ["alice@mail.localhost"] },
    new TextEncoder().encode(raw),
  );

describe("bounces and the recipient the mail went to", () => {
  it("reports a bounce naming the mail's recipient", async () => {
    expect(await events(report(sent, "bob@example.com"))).toMatchObject([
      {
        kind: "status",
        providerMessageId: sent,
        status: "failed",
        reason: expect.stringContaining("bob@example.com"),
      },
    ]);
  });

  it("drops a bounce naming someone else (accepted, nothing reported)", async () => {
    expect(await events(report(sent, "ceo@bank.example"))).toEqual([]);
  });

  it("reports a bounce after forwarding when its Original-Recipient is the mail's recipient", async () => {
    const forwarded = await events(report(sent, "bob@elsewhere.example", "bob@example.com"));
    expect(forwarded).toMatchObject([{ kind: "status", providerMessageId: sent }]);
  });
});
