/** A Logger that drops everything, for tests that do not look at the logs. */
import type { Logger } from "../../src/core/logger.js";

export const silentLogger: Logger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  fatal: () => {},
  child: () => silentLogger,
};
