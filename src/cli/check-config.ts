/** `xmpp-gateway check-config [--connect]`. */
import { loadOrExit } from "./config-file.js";

export async function checkConfig(opts: {
  config: string;
  connect?: boolean;
  timeout: number;
}): Promise<void> {
  const config = await loadOrExit(opts.config);
  const gws = config.gateways.map((g) => `${g.id} (${g.domain}, ${g.adapter})`).join(", ");
  process.stdout.write(`${opts.config}: OK: ${config.gateways.length} gateway(s): ${gws}\n`);
  if (!opts.connect) return;
  const { checkConnections } = await import("./connect-checks.js");
  process.exit(await checkConnections(config, opts.timeout * 1000));
}
