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
  /**
   * From now on, what the server sends reaches the client one byte per write, a turn of the event
   * millisecond apart, so the client reads multi-byte characters in pieces (as a busy network can cut them).
   */
  fragmentDownstream(): void;
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
  let fragment = false;
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
    let downstream = Promise.resolve();
    upstream.on("data", (d: Buffer) => {
      if (pair.dead) return;
      if (!fragment) {
        downstream = downstream.then(() => void client.write(d));
        return;
      }
      // Without Nagle, and a millisecond apart, each byte is a segment (and a read) of its own.
      client.setNoDelay(true);
      downstream = downstream.then(async () => {
        for (const byte of d) {
          if (pair.dead) return;
          client.write(Buffer.from([byte]));
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      });
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
    fragmentDownstream() {
      fragment = true;
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
