/**
 * `xmpp-gateway demo`: a complete local setup to try the gateway with any XMPP client.
 * Redis and Prosody are used or started (installed with apt-get when root), a demo user is
 * created, and the gateway runs with the simulator adapter, which plays a phone network: every
 * number answers with an echo and reports delivery, and `xmpp-gateway demo text` makes a phone
 * text the user first. Each message is printed as it flows; the JSON log goes to <dir>/gateway.log.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { formatProblems, parseConfigText } from "../config/load.js";
import { adapterSchemas, startGateway } from "../main.js";
import { DEMO_INFO_FILE, type DemoInfo } from "./demo-text.js";
import { traceLine } from "./demo-trace.js";
import { ensureRedis, freePort, say, startProsody } from "./local-services.js";

const DOMAIN = "sms.localhost";
const USER = "alice@localhost";
const PASSWORD = "demo-password";
const NUMBER = "+15550001111";

function demoConfig(o: {
  dir: string;
  componentPort: number;
  redisUrl: string;
  httpPort: number;
  metricsPort: number;
}) {
  // A prefix of its own per directory: two demos on one Redis never take each other's messages.
  const prefix = `xgw-demo-${createHash("sha256").update(o.dir).digest("hex").slice(0, 10)}`;
  return {
    xmpp: { service: `xmpp://127.0.0.1:${o.componentPort}` },
    redis: { url: o.redisUrl, prefix },
    http: {
      listen: `127.0.0.1:${o.httpPort}`,
      publicUrl: `http://127.0.0.1:${o.httpPort}`,
      internalListen: `127.0.0.1:${o.metricsPort}`,
    },
    log: { level: "info" },
    allowedDomains: ["localhost"],
    gateways: [
      {
        id: "sms",
        name: "SMS (demo simulator)",
        domain: DOMAIN,
        secret: "${XGW_DEMO_SECRET}",
        adapter: "simulator",
        defaultRegion: "US",
        simulator: { replyDelayMs: 500, reply: "echo", inboundToken: "${XGW_DEMO_TOKEN}" },
        users: [{ jid: USER, number: NUMBER }],
        // The simulator's default, said here: the demo's phone network sends as fast as it is asked.
        pacing: "off",
      },
    ],
  };
}

export async function runDemo(options: { dir: string }): Promise<void> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(12).toString("hex");
  const token = randomBytes(16).toString("hex");

  const redisUrl = await ensureRedis(dir);
  const prosody = await startProsody(dir, { domain: DOMAIN, secret });
  prosody.register("alice", PASSWORD);
  const httpPort = await freePort(8080);
  const metricsPort = await freePort(9090);

  const config = demoConfig({ dir, componentPort: prosody.componentPort, redisUrl, httpPort, metricsPort });
  const file = join(dir, "gateway.yaml");
  writeFileSync(file, `# written by \`xmpp-gateway demo\`\n${stringify(config)}`);
  const loaded = parseConfigText(
    stringify(config),
    { XGW_DEMO_SECRET: secret, XGW_DEMO_TOKEN: token },
    adapterSchemas,
  );
  if (!loaded.ok) throw new Error(formatProblems(file, loaded.problems));
  const logFile = join(dir, "gateway.log");
  const log = createWriteStream(logFile, { flags: "a" });
  const users = new Map([[NUMBER, USER]]);
  const gateway = await startGateway(loaded.config, {
    logDestination: {
      write(line: string) {
        log.write(line);
        const shown = traceLine(line, users);
        if (shown !== undefined) say(shown);
      },
    },
  });
  const transport = [...gateway.transports.values()][0];
  if (transport && !transport.online) await new Promise<void>((r) => transport.once("online", () => r()));
  const info: DemoInfo = {
    url: `http://127.0.0.1:${httpPort}`,
    gateway: "sms",
    token,
    user: USER,
    number: NUMBER,
  };
  const infoFile = join(dir, DEMO_INFO_FILE);
  writeFileSync(infoFile, `${JSON.stringify(info)}\n`, { mode: 0o600 });

  banner({ c2sPort: prosody.c2sPort, metricsPort, logFile, dir: options.dir });

  const stop = async () => {
    say("stopping ...");
    rmSync(infoFile, { force: true });
    await gateway.stop();
    prosody.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

function banner(o: { c2sPort: number; metricsPort: number; logFile: string; dir: string }): void {
  const dirFlag = o.dir === ".demo" ? "" : ` --dir ${o.dir}`;
  say("");
  say("xmpp-gateway demo is running (Ctrl-C stops it). Messages are shown below as they flow.");
  say("");
  say("  1. In any XMPP client (Gajim, Dino, Conversations, Psi, Monal, profanity) add an account:");
  say(`       JID:      ${USER}`);
  say(`       password: ${PASSWORD}`);
  say(`       server:   127.0.0.1, port ${o.c2sPort}, no TLS (plain-text login: this is a local demo)`);
  say(`  2. Start a chat with +15551234567@${DOMAIN} and send a text.`);
  say(`     The simulated phone answers with an echo; ${USER.split("@")[0]}'s own number is ${NUMBER}.`);
  say("  3. Make a phone text you first, from another terminal:");
  say(
    `       xmpp-gateway demo text +15557654321 "hello"${dirFlag}   (from the clone: npm run demo -- text ...)`,
  );
  say(`  Metrics: http://127.0.0.1:${o.metricsPort}/metrics   JSON log: ${o.logFile}`);
  say("");
}
