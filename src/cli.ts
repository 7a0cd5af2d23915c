#!/usr/bin/env node
/** `xmpp-gateway start | check-config | queue failed|retry|purge | credentials re-encrypt | demo` */
import { Command, Option } from "commander";
import { Redis } from "ioredis";
import { formatProblems, loadConfigFile } from "./config/load.js";
import { parseDuration } from "./core/duration.js";
import { printable } from "./core/printable.js";
import { reencryptCommand } from "./credentials-command.js";
import { ALL_ROLES, adapterSchemas, configReference, type Role, startGateway } from "./main.js";
import { QueueAdmin } from "./queue/admin.js";

const program = new Command()
  .name("xmpp-gateway")
  .description("XMPP component (XEP-0114) that carries messages between XMPP users and phone networks")
  .showHelpAfterError();

const configOption = () =>
  new Option("-c, --config <file>", "configuration file (YAML)").env("XGW_CONFIG").makeOptionMandatory();

/** sysexits.h EX_CONFIG: a bad configuration file; restarting will not help. */
const EXIT_CONFIG = 78;
/** sysexits.h EX_USAGE: the command line is wrong. */
const EXIT_USAGE = 64;
/** A fatal runtime error such as a refused component secret. */
const EXIT_FATAL = 2;

async function load(file: string) {
  const result = await loadConfigFile(file, process.env, adapterSchemas);
  if (!result.ok) {
    process.stderr.write(`${printable(formatProblems(file, result.problems), { keepNewlines: true })}\n`);
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

const queueCommand = program
  .command("queue")
  .description("dead letters: list, replay and purge failed jobs (failed sends and undeliverable messages)");

/** Opens the gateway's queues for one admin command, always closing them afterwards. */
async function withQueues<T>(
  file: string,
  gateway: string | undefined,
  run: (admin: QueueAdmin) => Promise<T>,
) {
  const config = await load(file);
  const ids = config.gateways.map((g) => g.id);
  if (gateway !== undefined && !ids.includes(gateway)) {
    process.stderr.write(`unknown gateway "${printable(gateway)}" (configured: ${ids.join(", ")})\n`);
    process.exit(EXIT_USAGE);
  }
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 3, connectionName: "xgw-cli" });
  const admin = new QueueAdmin(redis, config.redis.prefix, ids);
  try {
    return await run(admin);
  } finally {
    await admin.close();
    redis.disconnect();
  }
}

queueCommand
  .command("failed")
  .description("list failed jobs with their reason, oldest first")
  .addOption(configOption())
  .option("-g, --gateway <id>", "only this gateway")
  .action(async (opts: { config: string; gateway?: string }) => {
    const jobs = await withQueues(opts.config, opts.gateway, (admin) => admin.failed(opts.gateway));
    for (const j of jobs) {
      const when = j.failedAt === undefined ? "-" : new Date(j.failedAt).toISOString();
      // Job data comes from users and providers: escaped, so it cannot drive the terminal.
      const fields = [j.id, j.queue, when, `attempts=${j.attemptsMade}`, j.summary, j.reason];
      process.stdout.write(`${fields.map((f) => printable(f)).join("\t")}\n`);
    }
    process.stdout.write(`${jobs.length} failed job(s)\n`);
  });

queueCommand
  .command("retry")
  .description("replay a failed job (by id) or every failed job (--all), with fresh attempts")
  .argument("[id]", "job id as listed by `queue failed`")
  .addOption(configOption())
  .option("--all", "retry every failed job")
  .option("-g, --gateway <id>", "only this gateway")
  .action(async (id: string | undefined, opts: { config: string; all?: boolean; gateway?: string }) => {
    if ((id === undefined) === (opts.all !== true)) {
      process.stderr.write("give either a job id or --all\n");
      process.exit(EXIT_USAGE);
    }
    const target = id === undefined ? ({ all: true } as const) : { id };
    const { retried, skipped } = await withQueues(opts.config, opts.gateway, (admin) =>
      admin.retry(target, opts.gateway),
    );
    for (const r of retried) process.stdout.write(`retried ${printable(r)}\n`);
    for (const s of skipped) process.stdout.write(`not retried ${printable(s.id)}: ${s.why}\n`);
    process.stdout.write(`${retried.length} job(s) retried\n`);
    if (id !== undefined && retried.length === 0) {
      if (skipped.length === 0) process.stderr.write(`no failed job with id ${id}\n`);
      process.exit(1);
    }
  });

queueCommand
  .command("purge")
  .description("remove failed jobs older than a duration (e.g. 7d, 12h, 30m)")
  .addOption(configOption())
  .requiredOption("--older-than <duration>", "age of the failure, e.g. 7d")
  .option("-g, --gateway <id>", "only this gateway")
  .action(async (opts: { config: string; olderThan: string; gateway?: string }) => {
    const ms = parseDuration(opts.olderThan);
    if (ms === undefined) {
      process.stderr.write(`--older-than: "${opts.olderThan}" is not a duration such as 7d, 12h, 30m, 45s\n`);
      process.exit(EXIT_USAGE);
    }
    const removed = await withQueues(opts.config, opts.gateway, (admin) => admin.purge(ms, opts.gateway));
    process.stdout.write(`${removed} failed job(s) older than ${opts.olderThan} removed\n`);
  });

program
  .command("credentials")
  .description("stored provider credentials of self-service users")
  .command("re-encrypt")
  .description("encrypt every stored credential again with credentials.currentKey (then retired keys can go)")
  .addOption(configOption())
  .action(async (opts: { config: string }) => {
    process.exitCode = await reencryptCommand(await load(opts.config), process.stdout, process.stderr);
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
