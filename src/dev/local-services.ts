/**
 * Local Redis and Prosody for the demo: found when running, else installed with apt-get (when
 * root) and started. Nothing here runs in production.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join, resolve } from "node:path";

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function onPath(cmd: string): boolean {
  const probe = `command -v ${cmd} || test -x /usr/sbin/${cmd}`;
  return spawnSync("sh", ["-c", probe], { stdio: "ignore" }).status === 0;
}

/** Installs the Debian packages whose command is missing (as root), or says what to run. */
export function ensurePackages(needs: readonly { cmd: string; pkg: string }[]): void {
  const missing = needs.filter((n) => !onPath(n.cmd)).map((n) => n.pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${missing.join(", ")} not installed: run \`sudo apt-get install -y ${missing.join(" ")}\``,
    );
  }
  say(`installing ${missing.join(", ")} with apt-get (once) ...`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", ...missing], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

export function ensurePackage(cmd: string, pkg: string): void {
  ensurePackages([{ cmd, pkg }]);
}

export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((done) => {
    const s = net.connect({ port, host });
    s.once("connect", () => {
      s.destroy();
      done(true);
    });
    s.once("error", () => done(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not open port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function freePort(preferred: number): Promise<number> {
  if (!(await portOpen(preferred))) return preferred;
  return new Promise((done, fail) => {
    const srv = net.createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => done(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** Uses Redis on 127.0.0.1:6379 when it answers, else starts one that keeps nothing on disk. */
export async function ensureRedis(dir: string): Promise<string> {
  const url = "redis://127.0.0.1:6379";
  if (await portOpen(6379)) {
    say("redis:   using the Redis already running on 127.0.0.1:6379");
    return url;
  }
  ensurePackage("redis-server", "redis-server");
  const redisDir = resolve(dir, "redis");
  mkdirSync(redisDir, { recursive: true });
  execFileSync("redis-server", [
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    redisDir,
    "--logfile",
    join(redisDir, "redis.log"),
  ]);
  await waitForPort(6379, 10_000, "redis-server");
  say(`redis:   started redis-server on 127.0.0.1:6379 (data in ${redisDir})`);
  return url;
}

export interface DemoProsody {
  readonly c2sPort: number;
  readonly componentPort: number;
  register(user: string, password: string): void;
  stop(): void;
}

/** Starts Prosody with a "localhost" host and one component, in `dir`. */
export async function startProsody(
  dir: string,
  component: { domain: string; secret: string },
): Promise<DemoProsody> {
  ensurePackage("prosody", "prosody");
  const root = resolve(dir, "prosody");
  mkdirSync(join(root, "data"), { recursive: true });
  mkdirSync(join(root, "certs"), { recursive: true });
  const c2sPort = await freePort(5222);
  const componentPort = await freePort(5347);
  const cfg = join(root, "prosody.cfg.lua");
  const asRoot = process.getuid?.() === 0;
  writeFileSync(
    cfg,
    [
      "-- written by `xmpp-gateway demo`: a local, plain-text Prosody for trying the gateway out",
      asRoot ? "run_as_root = true" : "",
      "daemonize = false",
      `pidfile = "${join(root, "prosody.pid")}"`,
      `data_path = "${join(root, "data")}"`,
      `certificates = "${join(root, "certs")}"`,
      `log = { info = "${join(root, "prosody.log")}" }`,
      'interfaces = { "127.0.0.1" }',
      'local_interfaces = { "127.0.0.1" }',
      `c2s_ports = { ${c2sPort} }`,
      `component_ports = { ${componentPort} }`,
      "s2s_ports = { }",
      "network_settings = { nagle = false } -- as config/prosody.cfg.lua recommends",
      "http_ports = { }",
      "https_ports = { }",
      'modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix"; "presence"; "message"; "iq"; "offline"; "carbons"; "vcard" }',
      'modules_disabled = { "s2s" }',
      "c2s_require_encryption = false",
      "allow_unencrypted_plain_auth = true",
      'VirtualHost "localhost"',
      `Component "${component.domain}"`,
      `  component_secret = "${component.secret}"`,
      "",
    ].join("\n"),
  );
  const log = openSync(join(root, "prosody.out"), "a");
  const child = spawn("prosody", ["--config", cfg, "-F"], { stdio: ["ignore", log, log], cwd: root });
  const exited = new Promise<never>((_, fail) =>
    child.once("exit", (code) =>
      fail(new Error(`prosody exited (${code}); see ${join(root, "prosody.log")}`)),
    ),
  );
  await Promise.race([
    Promise.all([waitForPort(c2sPort, 15_000, "prosody"), waitForPort(componentPort, 15_000, "prosody")]),
    exited,
  ]);
  exited.catch(() => undefined);
  say(
    `prosody: started on 127.0.0.1:${c2sPort} (clients) and :${componentPort} (components), files in ${root}`,
  );
  return {
    c2sPort,
    componentPort,
    register(user, password) {
      execFileSync("prosodyctl", ["--config", cfg, "register", user, "localhost", password], {
        stdio: "ignore",
      });
    },
    stop() {
      child.kill("SIGTERM");
    },
  };
}
