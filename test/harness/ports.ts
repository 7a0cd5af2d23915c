import net from "node:net";
import { waitFor } from "./wait.js";

export const LOOPBACK = "127.0.0.1";

/** Ports handed out by this process, so two servers started together never get the same one. */
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.on("error", reject);
      server.listen(0, LOOPBACK, () => {
        const address = server.address();
        const p = typeof address === "object" && address !== null ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("freePort: could not find an unused port");
}

/** Whether something accepts TCP connections on host:port right now. */
export function isPortOpen(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Waits until host:port accepts connections. */
export async function waitForPort(port: number, timeoutMs = 10_000, host = LOOPBACK): Promise<void> {
  await waitFor(() => isPortOpen(port, host), {
    timeoutMs,
    intervalMs: 25,
    description: `port ${host}:${port} to accept connections`,
  });
}

/** Waits until nothing accepts connections on host:port any more. */
export async function waitForPortClosed(port: number, timeoutMs = 10_000, host = LOOPBACK): Promise<void> {
  await waitFor(async () => !(await isPortOpen(port, host)), {
    timeoutMs,
    intervalMs: 25,
    description: `port ${host}:${port} to close`,
  });
}
