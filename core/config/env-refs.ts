/**
 * `${env:NAME}` and `${env:NAME:-fallback}` inside any string of the config are replaced by the
 * environment's value. A missing variable without a fallback is reported with the path it sits at.
 */

/** One reference, as a regular-expression source (the JSON Schema of the config matches it too). */
export const ENV_REF_SOURCE = String.raw`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`;

const ENV_REF = new RegExp(ENV_REF_SOURCE, 'g');
const WHOLE_ENV_REF = new RegExp(`^${ENV_REF_SOURCE}$`);

export interface MissingEnv {
  readonly path: readonly PropertyKey[];
  readonly name: string;
}

/**
 * Replaces every reference; `whole`, when given, collects the paths of values that were exactly one
 * reference — only those may become a number or a boolean (see parseWithEnvScalars).
 */
/** What an unset `${NAME}` is told as: the fix in the same line (a newcomer's first error after `init`). */
export function unsetVariable(name: string): string {
  return `environment variable ${name} is not set (export ${name}=… where hooklaunch runs; the template's README says where to get it)`;
}

export function resolveEnvRefs(
  value: unknown,
  env: NodeJS.ProcessEnv,
  missing: MissingEnv[],
  used: Set<string>,
  path: readonly PropertyKey[] = [],
  whole?: PropertyKey[][],
): unknown {
  if (typeof value === 'string') {
    if (whole && WHOLE_ENV_REF.test(value)) whole.push([...path]);
    return value.replace(ENV_REF, (_match, name: string, fallback: string | undefined) => {
      used.add(name);
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      missing.push({ path, name });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => resolveEnvRefs(item, env, missing, used, [...path, index], whole));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveEnvRefs(item, env, missing, used, [...path, key], whole)]),
    );
  }
  return value;
}
