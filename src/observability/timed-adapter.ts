/** Times every provider request: an adapter whose `send` reports its duration and outcome. */
import type { NetworkAdapter } from "../core/adapter.js";
import { PermanentError } from "../core/errors.js";

export type SendOutcome = "accepted" | "refused" | "failed";

export function timedAdapter(
  adapter: NetworkAdapter,
  observe: (seconds: number, outcome: SendOutcome) => void,
): NetworkAdapter {
  return {
    ...adapter,
    async send(msg, account) {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const result = await adapter.send(msg, account);
        observe(seconds(), "accepted");
        return result;
      } catch (err) {
        observe(seconds(), err instanceof PermanentError ? "refused" : "failed");
        throw err;
      }
    },
  };
}
