/**
 * XEP-0004 data forms: building the forms the gateway shows and reading what a user submitted.
 * Submitted values are untrusted: callers check them with zod (see fieldsSchema).
 */
import { type Element, xml } from "@xmpp/component";
import { z } from "zod";
import { NS } from "./namespaces.js";

export type FieldType =
  | "text-single"
  | "text-private"
  | "text-multi"
  | "jid-single"
  | "list-single"
  | "fixed"
  | "hidden"
  | "boolean";

export interface FormField {
  readonly var?: string;
  readonly type: FieldType;
  readonly label?: string;
  readonly desc?: string;
  readonly required?: boolean;
  /** One value, or several for text-multi. */
  readonly value?: string | readonly string[];
  readonly options?: readonly { readonly label: string; readonly value: string }[];
}

export interface FormSpec {
  readonly type: "form" | "result";
  /** The FORM_TYPE hidden field, when the form has one. */
  readonly formType?: string;
  readonly title?: string;
  readonly instructions?: string;
  readonly fields: readonly FormField[];
}

export function dataForm(spec: FormSpec): Element {
  const fields = spec.formType
    ? [{ var: "FORM_TYPE", type: "hidden" as const, value: spec.formType }, ...spec.fields]
    : spec.fields;
  return xml(
    "x",
    { xmlns: NS.dataForms, type: spec.type },
    spec.title ? xml("title", {}, spec.title) : null,
    spec.instructions ? xml("instructions", {}, spec.instructions) : null,
    ...fields.map(fieldElement),
  );
}

function fieldElement(f: FormField): Element {
  const values = f.value === undefined ? [] : typeof f.value === "string" ? [f.value] : f.value;
  return xml(
    "field",
    { var: f.var, type: f.type, label: f.label },
    f.desc ? xml("desc", {}, f.desc) : null,
    f.required ? xml("required") : null,
    ...values.map((v) => xml("value", {}, v)),
    ...(f.options ?? []).map((o) => xml("option", { label: o.label }, xml("value", {}, o.value))),
  );
}

/** The data form child of `parent` (a query or command element), if any. */
export function findForm(parent: Element): Element | undefined {
  return parent.getChild("x", NS.dataForms);
}

/**
 * The values of a submitted form by field name (several values joined by newlines), without
 * FORM_TYPE. Returns undefined when the element is not a form of type "submit".
 */
export function submittedValues(x: Element): Record<string, string> | undefined {
  if (x.attrs.type !== "submit") return undefined;
  const out: Record<string, string> = {};
  for (const field of x.getChildren("field")) {
    const name = field.attrs.var;
    if (!name || name === "FORM_TYPE") continue;
    out[name] = field
      .getChildren("value")
      .map((v) => v.getText())
      .join("\n");
  }
  return out;
}

/** A zod schema requiring each named field as a trimmed, non-empty string (other fields ignored). */
export function fieldsSchema<const K extends string>(names: readonly K[]): z.ZodType<Record<K, string>> {
  const shape: Record<string, z.ZodType<string>> = {};
  for (const n of names) {
    shape[n] = z
      .string({ error: `${n} is required` })
      .trim()
      .min(1, `${n} is required`)
      .max(200);
  }
  return z.object(shape) as unknown as z.ZodType<Record<K, string>>;
}
