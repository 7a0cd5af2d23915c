/** The package's name and version, read from its package.json (beside src/ or dist/src/). */
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8"));
      if (typeof pkg === "object" && pkg !== null && "name" in pkg && pkg.name === "xmpp-gateway") {
        const version = "version" in pkg && typeof pkg.version === "string" ? pkg.version : "0.0.0";
        cached = version;
        return version;
      }
    } catch {
      // not here: try the next place
    }
  }
  cached = "0.0.0";
  return cached;
}
