/**
 * `xmpp-gateway start`: runs the roles until SIGTERM/SIGINT. Start-up failures are one line on
 * stderr and an exit code (see core/startup-error.ts). SIGHUP re-reads the config file and
 * applies what can change while running (log level, config users); the rest needs a restart.
 */
import type { LoadedConfig } from "../config/load.js";
import { EXIT } from "../core/startup-error.js";
import type { Role, RunningGateway } from "../main.js";
import { loadOrExit } from "./config-file.js";
import { dieOf } from "./output.js";

/** The last resort of a stop; running.ts bounds its own steps well under it. */
const FORCE_EXIT_MS = 15_000;

export interface StartOptions {
  readonly config: string;
  readonly role?: readonly string[];
  /** --log-level or XGW_LOG_LEVEL: wins over log.level of the file, on SIGHUP too. */
  readonly logLevel?: string;
}

function withLevel(config: LoadedConfig, level: string | undefined): LoadedConfig {
  return level === undefined
    ? config
    : { ...config, log: { ...config.log, level: level as LoadedConfig["log"]["level"] } };
}

export async function start(opts: StartOptions): Promise<void> {
  const config = withLevel(await loadOrExit(opts.config), opts.logLevel);
  const { ALL_ROLES, startGateway } = await import("../main.js");
  // Signals are taken from the start: one that arrives while starting is acted on once started.
  let gateway: RunningGateway | undefined;
  let pending: { signal: string; code: number } | undefined;
  const shutdown = async (signal: string, code: number) => {
    if (!gateway) {
      pending ??= { signal, code };
      return;
    }
    gateway.logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      gateway?.logger.error(
        { waitedMs: FORCE_EXIT_MS },
        "did not stop in time; exiting without a clean stop",
      );
      process.exit(code || 1);
    }, FORCE_EXIT_MS);
    force.unref();
    await gateway.stop();
    process.exit(code);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.once("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGHUP", () => {
    if (gateway) void reload(gateway, opts);
  });
  try {
    gateway = await startGateway(config, { roles: new Set((opts.role ?? ALL_ROLES) as Role[]) });
  } catch (err) {
    dieOf(err, "start");
  }
  void gateway.fatal.then(() => shutdown("fatal", EXIT.fatal));
  if (pending) await shutdown(pending.signal, pending.code);
}

async function reload(gateway: RunningGateway, opts: StartOptions): Promise<void> {
  const log = gateway.logger;
  const { formatProblems, loadConfigFile } = await import("../config/load.js");
  const { adapterSchemas } = await import("../main.js");
  try {
    const result = await loadConfigFile(opts.config, process.env, adapterSchemas);
    if (!result.ok) {
      log.error(
        { problems: formatProblems(opts.config, result.problems) },
        "SIGHUP: the configuration file has problems; nothing was reloaded",
      );
      return;
    }
    const changes = await gateway.reload(withLevel(result.config, opts.logLevel));
    log.info(
      { changes },
      `SIGHUP: configuration reloaded (${changes.length === 0 ? "nothing changed" : changes.join("; ")}); other options take effect on restart`,
    );
  } catch (err) {
    log.error({ reason: (err as Error).message }, "SIGHUP: reload failed; the gateway runs on unchanged");
  }
}
