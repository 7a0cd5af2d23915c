/**
 * `xmpp-gateway demo`: a complete local setup to try the gateway with any XMPP client.
 * Redis and Prosody are used or started (installed with apt-get when root), a demo user is
 * created, and the gateway runs with the simulator adapter, which plays a phone network: every
 * number answers with an echo and reports delivery.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { formatProblems, parseConfigText } from "../config/load.js";
import { adapterSchemas, startGateway } from "../main.js";
import { ensureRedis, freePort, say, startProsody } from "./local-services.js";

export async function runDemo(options: { dir: string }): Promise<void> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const domain = "sms.localhost";
  const secret = randomBytes(12).toString("hex");
  const password = "demo-password";
  const number = "+15550001111";

  const redisUrl = await ensureRedis(dir);
  const prosody = await startProsody(dir, { domain, secret });
  prosody.register("alice", password);
  const httpPort = await freePort(8080);

  const config = {
    xmpp: { service: `xmpp://127.0.0.1:${prosody.componentPort}` },
    redis: { url: redisUrl, prefix: "xgw-demo" },
    http: { listen: `127.0.0.1:${httpPort}`, publicUrl: `http://127.0.0.1:${httpPort}` },
    log: { level: "info" },
    allowedDomains: ["localhost"],
    gateways: [
      {
        id: "sms",
        name: "SMS (demo simulator)",
        domain,
        secret: "${XGW_DEMO_SECRET}",
        adapter: "simulator",
        defaultRegion: "US",
        simulator: { replyDelayMs: 500, reply: "echo" },
        users: [{ jid: "alice@localhost", number }],
      },
    ],
  };
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, `# written by \`xmpp-gateway demo\`\n${stringify(config)}`);
  const loaded = parseConfigText(stringify(config), { XGW_DEMO_SECRET: secret }, adapterSchemas);
  if (!loaded.ok) throw new Error(formatProblems(file, loaded.problems));
  const logFile = join(dir, "gateway.log");
  const gateway = await startGateway(loaded.config, {
    logDestination: createWriteStream(logFile, { flags: "a" }),
  });
  const transport = [...gateway.transports.values()][0];
  if (transport && !transport.online) await new Promise<void>((r) => transport.once("online", () => r()));

  say("");
  say(`xmpp-gateway demo is running (Ctrl-C stops it). Logs: ${logFile}`);
  say("");
  say("  1. In any XMPP client (Gajim, Dino, Conversations, Psi, Monal, profanity) add an account:");
  say("       JID:      alice@localhost");
  say(`       password: ${password}`);
  say(`       server:   127.0.0.1, port ${prosody.c2sPort}, no TLS (plain-text login: this is a local demo)`);
  say(`  2. Start a chat with +15551234567@${domain} and send a text.`);
  say(`     The simulated phone answers with an echo; alice's own number is ${number}.`);
  say(`  3. Webhooks, health and metrics: http://127.0.0.1:${httpPort}/readyz and /metrics`);
  say("");

  const stop = async () => {
    say("stopping ...");
    await gateway.stop();
    prosody.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}
