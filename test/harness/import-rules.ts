/**
 * The layout's dependency rules (DESIGN.md section 2, issue 10), checked on the real TypeScript
 * import graph: every `import`, `export ... from` and `import()` of every .ts file under src/ and
 * adapters/, read with the compiler's own scanner (ts.preProcessFile), type-only imports included.
 *
 * A file's layer is the first match in LAYERS. RULES says, per layer, which other layers it may
 * import and which wire libraries (WIRE) it may use; any other package (zod, yaml, node:*, ...)
 * is free. test/unit/import-rules.test.ts runs it over the tree and over a fixture that breaks it.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

/** Packages that tie code to one wire or infrastructure: each layer names the ones it may use. */
export const WIRE = [
  "ioredis",
  "bullmq",
  "@xmpp/",
  "fastify",
  "@fastify/",
  "undici",
  "twilio",
  "pino",
  "prom-client",
  "nodemailer",
  "smtp-server",
  "postal-mime",
];

/**
 * Wire libraries one adapter folder alone may use (beside its layer's): a network's own protocol
 * libraries, so no other adapter and no part of the gateway takes them up.
 */
export const ADAPTER_WIRE: Readonly<Record<string, readonly string[]>> = {
  email: ["nodemailer", "smtp-server", "postal-mime"],
};

/** Path prefix -> layer, first match wins. `adapter` and `kit` are per folder (adapters/<name>/). */
const LAYERS: readonly (readonly [RegExp, string])[] = [
  [/^src\/main\.ts$/, "main"],
  [/^src\/cli(\.ts$|\/)/, "cli"],
  [/^src\/version\.ts$/, "version"],
  [/^src\/(core|xmpp|queue|store|http|config|observability|dev|roles)\//, "$1"],
  [/^adapters\/[^/]+-kit\//, "kit"],
  [/^adapters\/[^/]+\/test\//, "adapter-test"],
  [/^adapters\/[^/]+\//, "adapter"],
  [/^test\//, "test"],
];

interface Rule {
  /** Layers this one may import besides its own ("*": any). */
  readonly may: readonly string[] | "*";
  /** Wire packages (prefixes of WIRE) it may import ("*": any). */
  readonly wire: readonly string[] | "*";
}

//                 may import                                              wire libraries
export const RULES: Readonly<Record<string, Rule>> = {
  // The rules of the gateway: pipeline, ports, contracts. Nothing outward, no wire (JIDs come
  // parsed: the XMPP side hands the core its @xmpp/jid parser).
  core: { may: [], wire: [] },
  version: { may: [], wire: [] },
  // The four faces: core and their own libraries, never each other.
  xmpp: { may: ["core"], wire: ["@xmpp/"] },
  queue: { may: ["core"], wire: ["bullmq", "ioredis"] },
  store: { may: ["core"], wire: ["ioredis"] },
  http: { may: ["core"], wire: ["fastify", "@fastify/", "prom-client"] },
  // Config schemas and observability sit beside the faces: core only.
  config: { may: ["core"], wire: [] },
  observability: { may: ["core"], wire: ["pino", "prom-client"] },
  // Role start-up: puts the pieces main.ts built together, with options from the config (never
  // names an adapter, never constructs a client or a store).
  roles: {
    may: ["core", "config", "xmpp", "queue", "store", "http", "observability"],
    wire: ["bullmq", "ioredis"],
  },
  // Composition root and entry points: anything (main.ts names the adapters).
  main: { may: "*", wire: "*" },
  cli: { may: "*", wire: "*" },
  dev: { may: "*", wire: "*" },
  // Adapters: core and a kit (adapters/<x>-kit), their own provider libraries, not the gateway's.
  adapter: { may: ["core", "kit"], wire: ["undici", "twilio"] },
  kit: { may: ["core"], wire: [] },
  // An adapter's tests also use its own folder and the test harness (stand-ins).
  "adapter-test": { may: ["core", "kit", "adapter", "test"], wire: "*" },
};

export function layerOf(file: string): string | undefined {
  for (const [pattern, layer] of LAYERS) {
    const m = pattern.exec(file);
    if (m) return layer.replace("$1", m[1] ?? "");
  }
  return undefined;
}

/** The folder an adapter-layer file belongs to (adapters/<name>), to keep adapters apart. */
function adapterFolder(file: string): string | undefined {
  return /^adapters\/([^/]+)\//.exec(file)?.[1];
}

/** file (relative to root, "/"-separated) -> the module specifiers it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The import graph of every .ts file under `dirs` of `root`. */
export function readGraph(root: string, dirs: readonly string[]): ImportGraph {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(rel);
      } else if (entry.name.endsWith(".ts")) {
        const info = ts.preProcessFile(fs.readFileSync(path.join(root, rel), "utf8"), true, true);
        graph.set(
          rel,
          info.importedFiles.map((f) => f.fileName),
        );
      }
    }
  };
  for (const dir of dirs) if (fs.existsSync(path.join(root, dir))) walk(dir);
  return graph;
}

const allowed = (list: readonly string[] | "*", item: string) => list === "*" || list.includes(item);

/** One line per import that breaks RULES: "file: imports spec (why)". */
export function violations(graph: ImportGraph, rules: Readonly<Record<string, Rule>> = RULES): string[] {
  const out: string[] = [];
  for (const [file, specs] of graph) {
    const from = layerOf(file);
    const rule = from === undefined ? undefined : rules[from];
    if (from === undefined || rule === undefined) {
      out.push(`${file}: in no layer of the import rules`);
      continue;
    }
    for (const spec of specs) {
      const why = spec.startsWith(".")
        ? localViolation(file, from, rule, spec)
        : wireViolation(from, rule, spec, from === "adapter" ? adapterFolder(file) : undefined);
      if (why !== undefined) out.push(`${file}: imports ${spec} (${why})`);
    }
  }
  return out;
}

function localViolation(file: string, from: string, rule: Rule, spec: string): string | undefined {
  // NodeNext specifiers name the emitted .js; the source is the .ts beside it.
  const target = path.posix
    .normalize(path.posix.join(path.posix.dirname(file), spec))
    .replace(/\.js$/, ".ts");
  const to = layerOf(target);
  if (to === undefined) return `${target} is in no layer`;
  const ownAdapter = adapterFolder(file) !== undefined && adapterFolder(file) === adapterFolder(target);
  if (to === from && (from !== "adapter" || ownAdapter)) return undefined;
  if (from === "adapter-test" && to === "adapter" && !ownAdapter) return "another adapter's code";
  if (from === "adapter-test" && to === "adapter-test" && ownAdapter) return undefined;
  if (allowed(rule.may, to)) return undefined;
  return `${from} may not import ${to}`;
}

/** Whether `spec` is the package `w` names (a "/"-ending `w` names a scope or a package's files). */
const names = (w: string, spec: string) =>
  w.endsWith("/") ? spec.startsWith(w) : spec === w || spec.startsWith(`${w}/`);

function wireViolation(from: string, rule: Rule, spec: string, folder?: string): string | undefined {
  const wire = WIRE.find((w) => names(w, spec));
  if (wire === undefined || rule.wire === "*" || rule.wire.some((w) => names(w, spec))) return undefined;
  if (folder !== undefined && (ADAPTER_WIRE[folder] ?? []).some((w) => names(w, spec))) return undefined;
  return `${folder === undefined ? from : `adapter ${folder}`} may not use ${wire}`;
}
