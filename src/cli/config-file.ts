/** Loading the configuration file for a command: on any problem, the list and exit code 78. */
import { formatProblems, type LoadedConfig, loadConfigFile } from "../config/load.js";
import { printable } from "../core/printable.js";
import { EXIT } from "../core/startup-error.js";
import { adapterSchemas } from "../main.js";

export async function loadOrExit(file: string): Promise<LoadedConfig> {
  const result = await loadConfigFile(file, process.env, adapterSchemas);
  if (!result.ok) {
    process.stderr.write(`${printable(formatProblems(file, result.problems), { keepNewlines: true })}\n`);
    process.exit(EXIT.config);
  }
  return result.config;
}
