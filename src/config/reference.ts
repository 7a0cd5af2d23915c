/**
 * The configuration reference, generated from the zod schemas (the single source of defaults and
 * doc lines). The README embeds its output; a unit test keeps the two equal
 * (`npm run docs:config` rewrites the README section).
 */
import type { z } from "zod";
import type { PaceSetting } from "../core/ports.js";
import { pacingDefaultsMarkdown } from "./pacing-schema.js";

export interface ReferenceRow {
  readonly path: string;
  readonly type: string;
  readonly default: string;
  readonly doc: string;
}

type Def = { type: string; [k: string]: unknown };
const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(schema: z.ZodType): { inner: z.ZodType; dflt?: unknown; optional: boolean; doc?: string } {
  let s = schema;
  let dflt: unknown;
  let optional = false;
  let doc = schema.description;
  for (;;) {
    const d = def(s);
    doc ??= s.description;
    if (d.type === "default" || d.type === "prefault") {
      dflt ??= d.defaultValue;
      s = d.innerType as z.ZodType;
    } else if (d.type === "optional") {
      optional = true;
      s = d.innerType as z.ZodType;
    } else if (d.type === "pipe") {
      s = d.in as z.ZodType;
    } else break;
  }
  return { inner: s, dflt, optional, doc };
}

function typeName(s: z.ZodType): string {
  const d = def(s);
  switch (d.type) {
    case "enum":
      return Object.values(d.entries as Record<string, string>)
        .map((v) => `\`${v}\``)
        .join(" \\| ");
    case "array":
      return `list of ${typeName(unwrap(d.element as z.ZodType).inner)}`;
    case "object":
      return "mapping";
    case "record":
      return `mapping of string to ${typeName(unwrap(d.valueType as z.ZodType).inner)}`;
    case "literal":
      return (d.values as unknown[]).map((v) => `\`${String(v)}\``).join(" \\| ");
    case "union":
      return unionOptions(s)
        .map((o) => typeName(o))
        .join(" \\| ");
    default:
      return d.type;
  }
}

function unionOptions(s: z.ZodType): z.ZodType[] {
  return (def(s).options as z.ZodType[]).map((o) => unwrap(o).inner);
}

/** The mapping a union may be (`pacing`: `off` or a mapping), whose options get rows of their own. */
function objectOption(s: z.ZodType): z.ZodType | undefined {
  if (def(s).type !== "union") return undefined;
  return unionOptions(s).find((o) => def(o).type === "object");
}

export function referenceRows(schema: z.ZodType, prefix = ""): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  const { inner } = unwrap(schema);
  const d = def(inner);
  if (d.type !== "object") return rows;
  for (const [key, child] of Object.entries(d.shape as Record<string, z.ZodType>)) {
    const u = unwrap(child);
    const path = `${prefix}${key}`;
    const cd = def(u.inner);
    const element = cd.type === "array" ? unwrap(cd.element as z.ZodType).inner : undefined;
    const isObject = cd.type === "object";
    const isObjectList = element !== undefined && def(element).type === "object";
    const shown =
      u.dflt === undefined
        ? u.optional
          ? "(optional)"
          : "**required**"
        : typeof u.dflt === "object" &&
            u.dflt !== null &&
            Object.keys(u.dflt).length === 0 &&
            !Array.isArray(u.dflt)
          ? ""
          : `\`${JSON.stringify(u.dflt)}\``;
    if (!isObject) rows.push({ path, type: typeName(u.inner), default: shown, doc: u.doc ?? "" });
    if (isObject) rows.push(...referenceRows(u.inner, `${path}.`));
    const option = objectOption(u.inner);
    if (option) rows.push(...referenceRows(option, `${path}.`));
    if (isObjectList && element) rows.push(...referenceRows(element, `${path}[].`));
  }
  return rows;
}

export function referenceMarkdown(
  sections: readonly { title: string; schema: z.ZodType; prefix: string }[],
): string {
  const out: string[] = [];
  for (const section of sections) {
    out.push(`**${section.title}**`, "", "| option | type | default | what it does |", "|---|---|---|---|");
    for (const r of referenceRows(section.schema, section.prefix)) {
      out.push(`| \`${r.path}\` | ${r.type} | ${r.default} | ${r.doc.replace(/\|/g, "\\|")} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

/**
 * The whole reference: the core options, each adapter's block (the registry's schemas), and the
 * table of each adapter's default pacing per sender number.
 */
export function registryReference(
  core: z.ZodType,
  registry: Readonly<Record<string, { readonly schema: z.ZodType; readonly pacing: PaceSetting }>>,
): string {
  const entries = Object.entries(registry);
  const schemas = referenceMarkdown([
    { title: "Core options", schema: core, prefix: "" },
    ...entries.map(([kind, e]) => ({
      title: `Adapter \`${kind}\` (the gateway's \`${kind}:\` block)`,
      schema: e.schema,
      prefix: `gateways[].${kind}.`,
    })),
  ]);
  const paces = Object.fromEntries(entries.map(([kind, e]) => [kind, e.pacing]));
  return `${schemas}\n${pacingDefaultsMarkdown(paces)}`;
}
