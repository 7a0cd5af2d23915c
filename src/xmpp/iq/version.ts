/** XEP-0092 software version: name and version from the package.json of this build. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { xml } from "@xmpp/component";
import { z } from "zod";
import type { ComponentTransport } from "../component-transport.js";
import { NS } from "../namespaces.js";

const packageSchema = z.object({ name: z.string().min(1), version: z.string().min(1) });

/** The package's name and version, found by walking up from this file (works from src/ and dist/). */
export function productVersion(): { name: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const parsed = packageSchema.safeParse(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")));
      if (parsed.success) return parsed.data;
    } catch {
      // not here: one level up
    }
    dir = dirname(dir);
  }
  return { name: "xmpp-gateway", version: "unknown" };
}

export function handleVersion(transport: ComponentTransport): void {
  const { name, version } = productVersion();
  transport.handleIq("get", NS.version, "query", () =>
    xml("query", { xmlns: NS.version }, xml("name", {}, name), xml("version", {}, version)),
  );
}
