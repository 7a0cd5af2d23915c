#!/usr/bin/env -S node --max-semi-space-size=32
/**
 * `xmpp-gateway start | check-config | queue failed|retry|purge | credentials re-encrypt | config-reference | demo`
 *
 * Only commander is loaded up front: each command imports what it needs when it runs, so
 * `--help` and `--version` answer without loading the gateway.
 *
 * The first line gives V8 a young generation of up to 32 MB a semi-space (the default is 16): a
 * busy gateway allocates some 80 KB per message, and twice the room means half the scavenges.
 * 64 MB saved a little more CPU on outbound, but the process held some 45 MB more, and memory
 * is what a SIGKILLed process's teardown spends its time on before its sockets close
 * (docs/BENCHMARKS.md, changes 26 and 27). `npm start` and the Dockerfile pass the same options
 * (test/unit/node-flags.test.ts).
 */
import { Command, Option } from "commander";
import { packageVersion } from "./version.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const program = new Command()
  .name("xmpp-gateway")
  .description("XMPP component (XEP-0114) that carries messages between XMPP users and phone networks")
  .version(packageVersion(), "-v, --version", "print the version and exit")
  .showHelpAfterError();

const configOption = () =>
  new Option("-c, --config <file>", "configuration file (YAML)").env("XGW_CONFIG").makeOptionMandatory();
const timeoutOption = () =>
  new Option("--timeout <seconds>", "give up on Redis (or a server) after this long")
    .default(10)
    .argParser((v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--timeout: "${v}" is not a number of seconds`);
      return n;
    });

program
  .command("check-config")
  .description("validate a configuration file and print every problem by path and line")
  .addOption(configOption())
  .option("--connect", "also try Redis, the XMPP handshake and the provider credentials")
  .addOption(timeoutOption())
  .action(async (opts: { config: string; connect?: boolean; timeout: number }) => {
    const { checkConfig } = await import("./cli/check-config.js");
    await checkConfig(opts);
  });

program
  .command("start")
  .description("run the gateway (all roles in one process unless --role is given)")
  .addOption(configOption())
  .addOption(
    new Option(
      "-r, --role <role...>",
      "run only these roles (scale them across machines on one Redis)",
    ).choices(["component", "worker", "webhooks"]),
  )
  .addOption(
    new Option("--log-level <level>", "override log.level of the config file")
      .choices(LOG_LEVELS)
      .env("XGW_LOG_LEVEL"),
  )
  .action(async (opts: { config: string; role?: string[]; logLevel?: string }) => {
    const { start } = await import("./cli/start.js");
    await start(opts);
  });

const queueCommand = program
  .command("queue")
  .description("dead letters: list, replay and purge failed jobs (failed sends and undeliverable messages)");

queueCommand
  .command("failed")
  .description("list failed jobs with their reason, oldest first")
  .addOption(configOption())
  .option("-g, --gateway <id>", "only this gateway")
  .option("--json", "print one JSON document instead of text")
  .addOption(timeoutOption())
  .action(async (opts: { config: string; gateway?: string; json?: boolean; timeout: number }) => {
    const { queueFailed } = await import("./cli/queue.js");
    await queueFailed(opts);
  });

queueCommand
  .command("retry")
  .description("replay a failed job (by id) or every failed job (--all), with fresh attempts")
  .argument("[id]", "job id as listed by `queue failed`")
  .addOption(configOption())
  .option("--all", "retry every failed job")
  .option("-g, --gateway <id>", "only this gateway")
  .option("--json", "print one JSON document instead of text")
  .addOption(timeoutOption())
  .action(
    async (
      id: string | undefined,
      opts: { config: string; all?: boolean; gateway?: string; json?: boolean; timeout: number },
    ) => {
      const { queueRetry } = await import("./cli/queue.js");
      await queueRetry(id, opts);
    },
  );

queueCommand
  .command("purge")
  .description("remove failed jobs older than a duration (e.g. 7d, 12h, 30m)")
  .addOption(configOption())
  .requiredOption("--older-than <duration>", "age of the failure, e.g. 7d")
  .option("-g, --gateway <id>", "only this gateway")
  .option("--json", "print one JSON document instead of text")
  .addOption(timeoutOption())
  .action(
    async (opts: {
      config: string;
      olderThan: string;
      gateway?: string;
      json?: boolean;
      timeout: number;
    }) => {
      const { queuePurge } = await import("./cli/queue.js");
      await queuePurge(opts);
    },
  );

program
  .command("credentials")
  .description("stored provider credentials of self-service users")
  .command("re-encrypt")
  .description("encrypt every stored credential again with credentials.currentKey (then retired keys can go)")
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    const [{ loadOrExit }, { reencryptCommand }] = await Promise.all([
      import("./cli/config-file.js"),
      import("./cli/credentials.js"),
    ]);
    process.exitCode = await reencryptCommand(await loadOrExit(opts.config), process.stdout, process.stderr);
  });

program
  .command("config-reference")
  .description("print the configuration reference (Markdown), generated from the schema")
  .action(async () => {
    const { configReference } = await import("./main.js");
    process.stdout.write(configReference());
  });

const demoCommand = program
  .command("demo")
  .description("run a local demo: Redis, Prosody, a demo user and the phone-network simulator")
  .option("--dir <dir>", "where the demo keeps its files", ".demo")
  .action(async (opts: { dir: string }) => {
    const { runDemo } = await import("./dev/demo.js");
    await runDemo({ dir: opts.dir });
  });

demoCommand
  .command("text")
  .description("make a simulated phone text the demo user (the demo must be running)")
  .argument("<from>", "the phone number that texts, e.g. +15557654321")
  .argument("<body>", "the text")
  .action(async (from: string, body: string) => {
    // --dir is the demo command's own option (given before or after "text").
    const { demoText } = await import("./dev/demo-text.js");
    await demoText({ dir: demoCommand.opts<{ dir: string }>().dir, from, body });
  });

await program.parseAsync(process.argv);
