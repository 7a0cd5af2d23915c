/** XEP-0199: the gateway and every valid contact answer pings (clients use them to check the link). */

import { Refusal } from "../../core/errors.js";
import type { FeatureContext } from "../feature-context.js";
import { targetOf } from "../feature-context.js";
import { NS } from "../namespaces.js";

export function handlePing(ctx: FeatureContext): void {
  ctx.transport.handleIq("get", NS.ping, "ping", (stanza) => {
    const target = targetOf(stanza, ctx);
    if (target.kind === "invalid") throw new Refusal("item-not-found", target.reason);
    return true;
  });
}
