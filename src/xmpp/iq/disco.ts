/**
 * XEP-0030 service discovery for the gateway's domain and its contacts (network addresses), with
 * the identities the adapter's face declares.
 * - domain: identity gateway/<type> plus the features it answers; items: none, or the ad-hoc
 *   commands under the commands node (XEP-0050), filtered for the requester.
 * - contact: the identity of contacts the face declares, named after the address; ping answered.
 * - a localpart that is no address of the network: item-not-found.
 */
import { type Element, xml } from "@xmpp/component";
import { Refusal } from "../../core/errors.js";
import { requester } from "../access.js";
import { type Command, mayRun } from "../commands/command.js";
import { type FeatureContext, targetOf } from "../feature-context.js";
import { NS } from "../namespaces.js";

export const GATEWAY_FEATURES = [
  NS.discoInfo,
  NS.discoItems,
  NS.register,
  NS.gateway,
  NS.version,
  NS.ping,
  NS.commands,
  NS.dataForms,
] as const;

export const CONTACT_FEATURES = [NS.discoInfo, NS.discoItems, NS.ping] as const;

const feature = (v: string) => xml("feature", { var: v });

export function handleDisco(ctx: FeatureContext, commands: readonly Command[]): void {
  const { transport } = ctx;

  transport.handleIq("get", NS.discoInfo, "query", (stanza) => {
    const node = queryNode(stanza, NS.discoInfo);
    const target = targetOf(stanza, ctx);
    if (target.kind === "invalid") throw new Refusal("item-not-found", target.reason);
    if (target.kind === "contact") {
      if (node !== undefined) throw new Refusal("item-not-found", "No such node.");
      return xml(
        "query",
        { xmlns: NS.discoInfo },
        xml("identity", { ...ctx.adapter.face.contactIdentity, name: target.address }),
        ...CONTACT_FEATURES.map(feature),
      );
    }
    if (node === NS.commands) {
      return xml(
        "query",
        { xmlns: NS.discoInfo, node },
        xml("identity", { category: "automation", type: "command-list", name: "Commands" }),
      );
    }
    if (node !== undefined) {
      const command = visibleCommand(ctx, commands, stanza, node);
      return xml(
        "query",
        { xmlns: NS.discoInfo, node },
        xml("identity", { category: "automation", type: "command-node", name: command.name }),
        feature(NS.commands),
        feature(NS.dataForms),
      );
    }
    return xml(
      "query",
      { xmlns: NS.discoInfo },
      xml("identity", { category: "gateway", type: ctx.adapter.face.identityType, name: ctx.name }),
      ...GATEWAY_FEATURES.map(feature),
      ...(ctx.adapter.face.escapedAddresses === true ? [feature(NS.jidEscaping)] : []),
    );
  });

  transport.handleIq("get", NS.discoItems, "query", (stanza) => {
    const node = queryNode(stanza, NS.discoItems);
    const target = targetOf(stanza, ctx);
    if (target.kind === "invalid") throw new Refusal("item-not-found", target.reason);
    if (target.kind === "contact" || node === undefined) {
      if (target.kind === "contact" && node !== undefined)
        throw new Refusal("item-not-found", "No such node.");
      return xml("query", { xmlns: NS.discoItems });
    }
    if (node !== NS.commands) throw new Refusal("item-not-found", "No such node.");
    const r = requester(stanza, ctx);
    return xml(
      "query",
      { xmlns: NS.discoItems, node },
      ...commands
        .filter((c) => mayRun(c, r))
        .map((c) => xml("item", { jid: transport.domain, node: c.node, name: c.name })),
    );
  });
}

function queryNode(stanza: Element, ns: string): string | undefined {
  const node = stanza.getChild("query", ns)?.attrs.node;
  return node === undefined || node === "" ? undefined : node;
}

function visibleCommand(
  ctx: FeatureContext,
  commands: readonly Command[],
  stanza: Element,
  node: string,
): Command {
  const command = commands.find((c) => c.node === node);
  if (!command || !mayRun(command, requester(stanza, ctx)))
    throw new Refusal("item-not-found", "No such node.");
  return command;
}
