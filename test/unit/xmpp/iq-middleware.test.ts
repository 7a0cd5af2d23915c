import { component, xml } from "@xmpp/component";
import { describe, expect, it } from "vitest";
import { middlewareForIqOnly } from "../../../src/xmpp/iq-middleware.js";

/** A component (never connected) whose middleware records the stanzas it sees. */
function recordingComponent(iqOnly: boolean) {
  const entity = component({ service: "xmpp://127.0.0.1:1", domain: "sms.example.org", password: "x" });
  entity.on("error", () => {});
  if (iqOnly) middlewareForIqOnly(entity);
  const incoming: string[] = [];
  entity.middleware.use((ctx, next) => {
    incoming.push(ctx.stanza.name);
    return next();
  });
  const stanzas: string[] = [];
  entity.on("stanza", (el) => stanzas.push(el.name));
  return { entity, incoming, stanzas };
}

const message = () => xml("message", { from: "a@example.org/r", to: "+15550001111@sms.example.org" });
const presence = () => xml("presence", { from: "a@example.org/r", to: "sms.example.org" });
// A result nobody waits for: iqCaller and iqCallee pass it on untouched.
const iq = () => xml("iq", { type: "result", id: "x1", from: "example.org", to: "sms.example.org" });

describe("middlewareForIqOnly", () => {
  it("hands the middleware iq only, while the stanza event still sees every stanza", async () => {
    const c = recordingComponent(true);
    for (const el of [message(), presence(), iq()]) {
      c.entity.emit("element", el);
      c.entity.emit("stanza", el);
    }
    await new Promise((r) => setImmediate(r));
    expect(c.incoming).toEqual(["iq"]);
    expect(c.stanzas).toEqual(["message", "presence", "iq"]);
  });

  it("without it, the library's middleware sees every stanza (what the change removes)", async () => {
    const c = recordingComponent(false);
    for (const el of [message(), iq()]) {
      c.entity.emit("element", el);
    }
    await new Promise((r) => setImmediate(r));
    expect(c.incoming).toEqual(["message", "iq"]);
  });
});
