/**
 * Reading a config file: YAML -> ${ENV} substitution -> the zod schema -> each gateway's adapter
 * block checked by that adapter's schema. Every problem is collected and reported by path, so
 * `check-config` and `start` can print them all at once.
 */
import { readFile } from "node:fs/promises";
import { type Document, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { substituteEnv } from "./env.js";
import { configErrorMap } from "./messages.js";
import { type Config, configSchema, type GatewayConfig, gatewaySchema } from "./schema.js";
import { knownKeysAt, unknownOptionText } from "./suggest.js";
import { lineOf } from "./yaml-lines.js";

export interface ConfigProblem {
  /** Where, e.g. "gateways[0].twilio.accountSid" ("" for the whole file). */
  readonly path: string;
  readonly message: string;
  /** The line of the YAML document it is about, when known. */
  readonly line?: number;
}

export type LoadedGateway = GatewayConfig & { readonly adapterConfig: unknown };
export type LoadedConfig = Omit<Config, "gateways"> & { readonly gateways: LoadedGateway[] };

export type LoadResult =
  | { readonly ok: true; readonly config: LoadedConfig }
  | { readonly ok: false; readonly problems: ConfigProblem[] };

/** The adapters known to this build, by kind, with the schema of their config block. */
export type AdapterSchemas = Readonly<Record<string, z.ZodType>>;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  const lines = problems.map(
    (p) => `  ${p.path || "(file)"}${p.line === undefined ? "" : ` (line ${p.line})`}: ${p.message}`,
  );
  return `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${lines.join("\n")}`;
}

export async function loadConfigFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  adapters: AdapterSchemas,
): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read error";
    return { ok: false, problems: [{ path: "", message: `cannot read the file (${readErrorText(code)})` }] };
  }
  return parseConfigText(text, env, adapters);
}

function readErrorText(code: string): string {
  switch (code) {
    case "ENOENT":
      return "ENOENT: no such file";
    case "EACCES":
    case "EPERM":
      return `${code}: permission denied to uid ${process.getuid?.() ?? "?"}; check the file's owner and mode`;
    case "EISDIR":
      return "EISDIR: it is a directory";
    default:
      return code;
  }
}

export function parseConfigText(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  adapters: AdapterSchemas,
): LoadResult {
  try {
    return parseChecked(text, env, adapters);
  } catch (err) {
    // Never a crash, whatever the text: an alias bomb ("Excessive alias count") or a document
    // nested too deep to convert. Only the reason, never the text (it may hold a secret).
    const reason = err instanceof Error ? `${err.name}: ${err.message.split("\n")[0]}` : "unknown error";
    return { ok: false, problems: [{ path: "", message: `the file cannot be read as YAML (${reason})` }] };
  }
}

type PathProblem = { readonly path: readonly PropertyKey[]; readonly message: string };

function parseChecked(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  adapters: AdapterSchemas,
): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  const [first, ...more] = doc.errors;
  if (first) {
    // The first error only: one stray "[" makes the parser report dozens that follow from it.
    // Only the position and the parser's reason: the offending line may hold a secret.
    const pos = lines.linePos(first.pos[0]);
    const after = more.length > 0 ? ` (and ${more.length} more after it, likely caused by it)` : "";
    const reason = first.message.split("\n")[0] ?? first.code;
    const path = `line ${pos.line}, column ${pos.col}`;
    return { ok: false, problems: [{ path, message: `YAML syntax: ${reason}${after}`, line: pos.line }] };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: "", message: "the file must hold a YAML mapping (key: value)" }] };
  }
  const found: PathProblem[] = [];
  const envProblems: { path: (string | number)[]; message: string }[] = [];
  const substituted = substituteEnv(raw, env, envProblems);
  found.push(...envProblems);
  // An unset variable is one problem: not also "must not be empty" at the same place.
  const envPaths = new Set(envProblems.map((p) => formatPath(p.path)));
  const schemaProblem = (p: PathProblem) => {
    if (!envPaths.has(formatPath(p.path))) found.push(p);
  };

  const parsed = configSchema.safeParse(substituted, { error: configErrorMap });
  if (!parsed.success) {
    for (const issue of parsed.error.issues.flatMap(unionBranch)) {
      if (issue.code === "unrecognized_keys") {
        const known = knownKeysAt(configSchema, issue.path);
        for (const key of issue.keys) {
          found.push({ path: [...issue.path, key], message: unknownOptionText(key, known) });
        }
      } else schemaProblem({ path: issue.path, message: issue.message });
    }
  }
  const gateways: LoadedGateway[] = [];
  const rawGateways = (substituted as { gateways?: unknown }).gateways;
  if (Array.isArray(rawGateways)) {
    rawGateways.forEach((g: unknown, i) => {
      const checked = checkAdapterBlock(g, i, adapters, schemaProblem);
      if (checked && parsed.success) {
        const base = parsed.data.gateways[i];
        if (base) gateways.push({ ...base, adapterConfig: checked.value });
      }
    });
  }
  const problems = dedupe(found.map((p) => located(doc, lines, p)));
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, config: { ...parsed.data, gateways } };
}

/**
 * A value that fails every option of a union (`pacing: off` or a mapping) is one problem; but when
 * it has the type of one option (a mapping) and fails only inside it, that option's own problems
 * say more ("perSecnd: unknown option; did you mean ...").
 */
function unionBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union") return [issue];
  const typed = issue.errors.filter((branch) =>
    branch.every((i) => i.path.length > 0 || i.code === "unrecognized_keys"),
  );
  const [only] = typed;
  if (typed.length !== 1 || only === undefined) return [issue];
  return only.map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
}

function located(doc: Document, lines: LineCounter, p: PathProblem): ConfigProblem {
  const line = lineOf(doc, lines, p.path);
  return { path: formatPath(p.path), message: p.message, ...(line === undefined ? {} : { line }) };
}

function checkAdapterBlock(
  gateway: unknown,
  index: number,
  adapters: AdapterSchemas,
  report: (p: PathProblem) => void,
): { value: unknown } | undefined {
  if (gateway === null || typeof gateway !== "object") return undefined;
  const g = gateway as Record<string, unknown>;
  const kind = g.adapter;
  const known = Object.keys(adapters);
  const base = ["gateways", index];
  for (const key of Object.keys(g)) {
    if (!Object.hasOwn(gatewaySchema.shape, key) && key !== kind) {
      const message = known.includes(key)
        ? `unknown option (this gateway's adapter is ${String(kind)})`
        : unknownOptionText(key, [...Object.keys(gatewaySchema.shape), ...known]);
      report({ path: [...base, key], message });
    }
  }
  if (typeof kind !== "string") return undefined;
  const schema = Object.hasOwn(adapters, kind) ? adapters[kind] : undefined; // not "toString"
  if (!schema) {
    report({ path: [...base, "adapter"], message: `unknown adapter "${kind}"; known: ${known.join(", ")}` });
    return undefined;
  }
  const result = schema.safeParse(g[kind] ?? {}, { error: configErrorMap });
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        const keys = knownKeysAt(schema, issue.path);
        for (const key of issue.keys) {
          report({ path: [...base, kind, ...issue.path, key], message: unknownOptionText(key, keys) });
        }
      } else report({ path: [...base, kind, ...issue.path], message: issue.message });
    }
    return undefined;
  }
  return { value: result.data };
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
