/** `xmpp-gateway check-config [--connect]`. */
import type { LoadedGateway } from "../config/load.js";
import { effectivePace, paceText } from "../config/pacing-schema.js";
import { adapters } from "../main.js";
import { loadOrExit } from "./config-file.js";

export async function checkConfig(opts: {
  config: string;
  connect?: boolean;
  timeout: number;
}): Promise<void> {
  const config = await loadOrExit(opts.config);
  const gws = config.gateways.map((g) => `${g.id} (${g.domain}, ${g.adapter})`).join(", ");
  process.stdout.write(`${opts.config}: OK: ${config.gateways.length} gateway(s): ${gws}\n`);
  for (const g of config.gateways) process.stdout.write(`${pacingLine(g)}\n`);
  if (!opts.connect) return;
  const { checkConnections } = await import("./connect-checks.js");
  process.exit(await checkConnections(config, opts.timeout * 1000));
}

/**
 * The pace in force for a gateway's sender numbers, and where it comes from:
 * `  gateway sms: pacing 1/s, burst 3 per sender number (twilio default); +15550001111: off`.
 */
export function pacingLine(g: LoadedGateway): string {
  const fallback = adapters[g.adapter]?.pacing ?? "off";
  const source = g.pacing === undefined ? `${g.adapter} default` : "configured";
  const own = g.users
    .filter((u) => u.pacing !== undefined)
    .map((u) => `; ${u.address}: ${paceText(effectivePace(u.pacing, "off"))}`);
  const pace = paceText(effectivePace(g.pacing, fallback));
  return `  gateway ${g.id}: pacing ${pace} per sender number (${source})${own.join("")}`;
}
