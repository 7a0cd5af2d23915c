/**
 * `${NAME}` substitution in every string of a parsed YAML tree. `${NAME:-fallback}` gives a
 * default, `$${` stands for a literal `${`. Unset variables are reported by path, never guessed.
 */
export interface EnvProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

const pattern = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: EnvProblem[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === "string") {
    return value.replace(pattern, (match, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return "${";
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path, message: `environment variable ${name} is not set (used as ${match})` });
      return "";
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, problems, [...path, i]));
  if (value !== null && typeof value === "object") {
    // fromEntries defines own properties: a "__proto__" key stays a key (reported as unknown),
    // it never becomes the object's prototype.
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, problems, [...path, k])]),
    );
  }
  return value;
}
