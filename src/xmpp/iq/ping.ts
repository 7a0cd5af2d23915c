/** XEP-0199: the gateway and every valid contact answer pings (clients use them to check the link). */
import type { FeatureContext } from "../feature-context.js";
import { targetOf } from "../feature-context.js";
import { IqError } from "../iq.js";
import { NS } from "../namespaces.js";

export function handlePing(ctx: FeatureContext): void {
  ctx.transport.handleIq("get", NS.ping, "ping", (stanza) => {
    const target = targetOf(stanza, ctx);
    if (target.kind === "invalid") throw new IqError("item-not-found", target.reason);
    return true;
  });
}
