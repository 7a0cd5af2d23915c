/**
 * Reading a config file: YAML -> ${ENV} substitution -> the zod schema -> each gateway's adapter
 * block checked by that adapter's schema. Every problem is collected and reported by path, so
 * `check-config` and `start` can print them all at once.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { substituteEnv } from "./env.js";
import { type Config, configSchema, type GatewayConfig, gatewaySchema } from "./schema.js";

export interface ConfigProblem {
  /** Where, e.g. "gateways[0].twilio.accountSid" ("" for the whole file). */
  readonly path: string;
  readonly message: string;
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
  const lines = problems.map((p) => `  ${p.path || "(file)"}: ${p.message}`);
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
    return { ok: false, problems: [{ path: "", message: `cannot read the file (${code})` }] };
  }
  return parseConfigText(text, env, adapters);
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

function parseChecked(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  adapters: AdapterSchemas,
): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    // Only the position and the parser's reason: the offending line may hold a secret.
    const problems = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      const where = `line ${pos.line}, column ${pos.col}`;
      return { path: where, message: `YAML syntax: ${e.message.split("\n")[0] ?? e.code}` };
    });
    return { ok: false, problems };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, problems: [{ path: "", message: "the file must hold a YAML mapping (key: value)" }] };
  }
  const problems: ConfigProblem[] = [];
  const envProblems: { path: (string | number)[]; message: string }[] = [];
  const substituted = substituteEnv(raw, env, envProblems);
  for (const p of envProblems) problems.push({ path: formatPath(p.path), message: p.message });

  const parsed = configSchema.safeParse(substituted);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  const gateways: LoadedGateway[] = [];
  const rawGateways = (substituted as { gateways?: unknown }).gateways;
  if (Array.isArray(rawGateways)) {
    rawGateways.forEach((g: unknown, i) => {
      const checked = checkAdapterBlock(g, i, adapters, problems);
      if (checked && parsed.success) {
        const base = parsed.data.gateways[i];
        if (base) gateways.push({ ...base, adapterConfig: checked.value });
      }
    });
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: dedupe(problems) };
  return { ok: true, config: { ...parsed.data, gateways } };
}

function checkAdapterBlock(
  gateway: unknown,
  index: number,
  adapters: AdapterSchemas,
  problems: ConfigProblem[],
): { value: unknown } | undefined {
  if (gateway === null || typeof gateway !== "object") return undefined;
  const g = gateway as Record<string, unknown>;
  const kind = g.adapter;
  const known = Object.keys(adapters);
  const base = `gateways[${index}]`;
  for (const key of Object.keys(g)) {
    if (!Object.hasOwn(gatewaySchema.shape, key) && key !== kind) {
      const hint = known.includes(key) ? ` (this gateway's adapter is ${String(kind)})` : "";
      problems.push({ path: `${base}.${key}`, message: `unknown option${hint}` });
    }
  }
  if (typeof kind !== "string") return undefined;
  const schema = Object.hasOwn(adapters, kind) ? adapters[kind] : undefined; // not "toString"
  if (!schema) {
    problems.push({
      path: `${base}.adapter`,
      message: `unknown adapter "${kind}"; known: ${known.join(", ")}`,
    });
    return undefined;
  }
  const result = schema.safeParse(g[kind] ?? {});
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ path: formatPath([`${base}`, kind, ...issue.path]), message: issue.message });
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
