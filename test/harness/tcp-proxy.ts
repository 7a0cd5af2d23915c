/**
 * A TCP proxy on a free loopback port that can turn into a black hole: bytes stop flowing both
 * ways but no socket is closed, which is what a half-open connection looks like to both ends.
 * Connections made after blackhole() forward normally.
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
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; dead: boolean }>();
  let connections = 0;
  let refusing = false;
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
      if (!pair.dead) upstream.write(d);
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
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
