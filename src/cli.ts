#!/usr/bin/env node
/** `xmpp-gateway start | check-config | demo` */
import { Command, Option } from "commander";
import { formatProblems, loadConfigFile } from "./config/load.js";
import { ALL_ROLES, adapterSchemas, configReference, type Role, startGateway } from "./main.js";

const program = new Command()
  .name("xmpp-gateway")
  .description("XMPP component (XEP-0114) that carries messages between XMPP users and phone networks")
  .showHelpAfterError();

const configOption = () =>
  new Option("-c, --config <file>", "configuration file (YAML)").env("XGW_CONFIG").makeOptionMandatory();

/** sysexits.h EX_CONFIG: a bad configuration file; restarting will not help. */
const EXIT_CONFIG = 78;
/** A fatal runtime error such as a refused component secret. */
const EXIT_FATAL = 2;

async function load(file: string) {
  const result = await loadConfigFile(file, process.env, adapterSchemas);
  if (!result.ok) {
    process.stderr.write(`${formatProblems(file, result.problems)}\n`);
    process.exit(EXIT_CONFIG);
  }
  return result.config;
}

program
  .command("check-config")
  .description("validate a configuration file and print every problem by path")
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    const config = await load(opts.config);
    const gws = config.gateways.map((g) => `${g.id} (${g.domain}, ${g.adapter})`).join(", ");
    process.stdout.write(`${opts.config}: OK: ${config.gateways.length} gateway(s): ${gws}\n`);
  });

program
  .command("start")
  .description("run the gateway (all roles in one process unless --role is given)")
  .addOption(configOption())
  .addOption(
    new Option(
      "-r, --role <role...>",
      "run only these roles (scale them across machines on one Redis)",
    ).choices(ALL_ROLES),
  )
  .action(async (opts: { config: string; role?: Role[] }) => {
    const config = await load(opts.config);
    const gateway = await startGateway(config, { roles: new Set(opts.role ?? ALL_ROLES) });
    const shutdown = async (signal: string, code: number) => {
      gateway.logger.info({ signal }, "shutting down");
      const force = setTimeout(() => process.exit(code || 1), 15_000);
      force.unref();
      await gateway.stop();
      process.exit(code);
    };
    process.once("SIGTERM", () => void shutdown("SIGTERM", 0));
    process.once("SIGINT", () => void shutdown("SIGINT", 0));
    void gateway.fatal.then(() => shutdown("fatal", EXIT_FATAL));
  });

program
  .command("config-reference")
  .description("print the configuration reference (Markdown), generated from the schema")
  .action(() => {
    process.stdout.write(configReference());
  });

program
  .command("demo")
  .description("run a local demo: Redis, Prosody, a demo user and the phone-network simulator")
  .option("--dir <dir>", "where the demo keeps its files", ".demo")
  .action(async (opts: { dir: string }) => {
    const { runDemo } = await import("./dev/demo.js");
    await runDemo({ dir: opts.dir });
  });

await program.parseAsync(process.argv);
