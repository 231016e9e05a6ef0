/**
 * `${env:NAME}` and `${env:NAME:-fallback}` inside any string of the config are replaced by the
 * environment's value. A missing variable without a fallback is reported with the path it sits at.
 */
const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface MissingEnv {
  readonly path: readonly PropertyKey[];
  readonly name: string;
}

export function resolveEnvRefs(
  value: unknown,
  env: NodeJS.ProcessEnv,
  missing: MissingEnv[],
  used: Set<string>,
  path: readonly PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_match, name: string, fallback: string | undefined) => {
      used.add(name);
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      missing.push({ path, name });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => resolveEnvRefs(item, env, missing, used, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveEnvRefs(item, env, missing, used, [...path, key])]),
    );
  }
  return value;
}
