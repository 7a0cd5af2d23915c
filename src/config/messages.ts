/**
 * Texts for configuration problems, in the operator's words instead of zod's defaults ("Invalid
 * input: expected string, received number"). Passed as the per-parse error map: a message given
 * in the schema itself (e.g. "must be host:port") still wins.
 *
 * Why zod's own error map and not zod-validation-error: problems are listed one per path (with
 * the YAML line), and only the wording of each issue needs changing; zod-validation-error turns a
 * whole error into one sentence, which is the opposite of what the list needs. No input value is
 * ever quoted: it may be a secret.
 */
import type { z } from "zod";

const NOUNS: Readonly<Record<string, string>> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping (key: value)",
};

function kindOf(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "text";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return value ? "true" : "false";
  return typeof value;
}

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

function sizeText(iss: RawIssue & { code: "too_small" | "too_big" }): string | undefined {
  const bound = Number(iss.code === "too_small" ? iss.minimum : iss.maximum);
  const least = iss.code === "too_small" ? "at least" : "at most";
  switch (iss.origin) {
    case "array":
      return `must list ${least} ${bound} item${bound === 1 ? "" : "s"}`;
    case "string":
      return iss.code === "too_small" && bound === 1
        ? "must not be empty"
        : `must be ${least} ${bound} characters`;
    case "number":
    case "int":
      return `must be ${least} ${bound}`;
    default:
      return undefined;
  }
}

export const configErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return "is required";
      return `must be ${NOUNS[iss.expected] ?? iss.expected}, not ${kindOf(iss.input)}`;
    case "invalid_value":
      return `must be one of: ${iss.values.map((v) => String(v)).join(", ")}`;
    case "too_small":
    case "too_big":
      return sizeText(iss);
    case "unrecognized_keys":
      return "unknown option";
    case "not_multiple_of":
      return `must be a multiple of ${String(iss.divisor)}`;
    default:
      return undefined;
  }
};
