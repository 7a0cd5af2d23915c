/**
 * A TCP proxy on a free loopback port that can turn into a black hole: bytes stop flowing both
 * ways but no socket is closed, which is what a half-open connection looks like to both ends.
 * Connections made after blackhole() forward normally. It can also sabotage one chunk the client
 * writes (see sabotage()), to kill a stream right after the client wrote to it.
 */
import net from "node:net";
import { freePort, LOOPBACK } from "./ports.js";

export interface TcpProxy {
  readonly port: number;
  /** Connections made through the proxy so far. */
  readonly connections: number;
  /** Stop forwarding on every open connection (they stay open). */
  blackhole(): void;
  /** Close new connections at once, as a server that is down would (until accept()). */
  refuse(): void;
  accept(): void;
  /**
   * The next chunk the client writes that `match` accepts is sabotaged, once: "poison" forwards it
   * with a byte XML forbids (U+0001) in front, so the server stops parsing there and closes the
   * stream with not-well-formed; "drop" swallows it and closes both sockets. Resolves with the
   * chunk's text once it happened.
   */
  sabotage(how: "poison" | "drop", match: (chunk: string) => boolean): Promise<string>;
  close(): Promise<void>;
}

interface Sabotage {
  readonly how: "poison" | "drop";
  readonly match: (chunk: string) => boolean;
  readonly done: (chunk: string) => void;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; dead: boolean }>();
  let connections = 0;
  let refusing = false;
  let sabotage: Sabotage | undefined;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = net.connect({ port: targetPort, host: LOOPBACK });
    const pair = { client, upstream, dead: false };
    pairs.add(pair);
    client.on("data", (d: Buffer) => {
      if (pair.dead) return;
      const plan = sabotage;
      if (plan?.match(d.toString("utf8"))) {
        sabotage = undefined;
        plan.done(d.toString("utf8"));
        if (plan.how === "drop") {
          pair.dead = true;
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(Buffer.concat([Buffer.from([0x01]), d]));
        return;
      }
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      if (!pair.dead) client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(port, LOOPBACK, resolve));
  return {
    port,
    get connections() {
      return connections;
    },
    blackhole() {
      for (const p of pairs) p.dead = true;
    },
    refuse() {
      refusing = true;
    },
    accept() {
      refusing = false;
    },
    sabotage(how, match) {
      return new Promise<string>((resolve) => {
        sabotage = { how, match, done: resolve };
      });
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
