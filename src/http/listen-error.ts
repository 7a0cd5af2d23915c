/** Listening on a configured address, with a one-line reason an operator can act on when it fails. */
import type { FastifyInstance } from "fastify";
import { EXIT, StartupError } from "../core/startup-error.js";
import { listen } from "./server.js";

/** Why `address` (the value of `option`) cannot be listened on, or the error itself when unknown. */
export function explainListenError(err: unknown, address: string, option: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `cannot listen on ${address} (${option})`;
  switch (code) {
    case "EADDRINUSE":
      return new StartupError(
        `${where}: the address is already in use (another gateway, or another program, listens there)`,
        EXIT.unavailable,
      );
    case "EACCES":
      return new StartupError(`${where}: permission denied (ports below 1024 need privileges)`, EXIT.config);
    case "EADDRNOTAVAIL":
      return new StartupError(`${where}: this host has no such address`, EXIT.config);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new StartupError(`${where}: the host name does not resolve`, EXIT.config);
    default:
      return err;
  }
}

export async function listenOrExplain(
  app: FastifyInstance,
  address: string,
  option: string,
): Promise<string> {
  try {
    return await listen(app, address);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw explainListenError(err, address, option);
  }
}
