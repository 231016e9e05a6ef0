/**
 * The triggers file `hooklaunch apply -f` reads: a top-level `triggers:` list in hooklaunch.yaml's
 * shape, or a bare list. Each trigger is checked here the way the service will check it (so a typo
 * fails before anything is sent, with its file:line), but returned as written: `${env:…}` references
 * travel to the service unresolved and are resolved there. A reference this environment cannot
 * resolve, and a `[sealed]` placeholder (the stored secret, kept), are left for the service to judge.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { checkTrigger, type TriggerCheckContext } from '../config/check-trigger.js';
import { ConfigError, formatPath, type ConfigIssue } from '../yaml/config-error.js';
import { resolveEnvRefs, type MissingEnv } from '../config/env-refs.js';
import { lineOf } from '../yaml/yaml-lines.js';
import { SEALED_SHOWN } from '../triggers/sealed-secrets.js';

export interface FileTrigger {
  readonly id: string;
  /** The trigger as written (`${env:…}` references unresolved). */
  readonly config: Record<string, unknown>;
}

export interface TriggersFile {
  readonly triggers: readonly FileTrigger[];
  /** Triggers checked only by the service: the variables they reference are not set here. */
  readonly unchecked: ReadonlyArray<{ readonly id: string; readonly names: readonly string[] }>;
}

/** Throws a ConfigError naming every issue with its line. */
export function readTriggersFile(file: string, ctx: TriggerCheckContext): TriggersFile {
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => ({ path: '', line: e.linePos?.[0].line, message: e.message })));
  const root = doc.toJS() as unknown;
  const prefix: PropertyKey[] = Array.isArray(root) ? [] : ['triggers'];
  const list = Array.isArray(root) ? root : (root as { triggers?: unknown } | null)?.triggers;
  if (!Array.isArray(list)) throw new ConfigError(file, [{ path: '', line: 1, message: 'expected a `triggers:` list, or a bare list of triggers' }]);
  const issues: ConfigIssue[] = [];
  const issue = (path: readonly PropertyKey[], message: string): void => void issues.push({ path: formatPath([...prefix, ...path]), line: lineOf(doc, lines, [...prefix, ...path]), message });
  const triggers: FileTrigger[] = [];
  const unchecked: Array<{ id: string; names: string[] }> = [];
  const seen = new Set<string>();
  for (const [index, item] of list.entries()) {
    if (item === null || typeof item !== 'object' || Array.isArray(item) || typeof (item as { id?: unknown }).id !== 'string') {
      issue([index], 'a trigger is an object with a string id');
      continue;
    }
    const config = item as Record<string, unknown>;
    const id = config.id as string;
    if (seen.has(id)) issue([index, 'id'], `trigger ${id} appears twice`);
    seen.add(id);
    triggers.push({ id, config });
    const missing: MissingEnv[] = [];
    resolveEnvRefs(config, ctx.env, missing, new Set());
    if (missing.length > 0) {
      unchecked.push({ id, names: [...new Set(missing.map((m) => m.name))] });
      continue;
    }
    const checked = checkTrigger(config, ctx);
    if (checked.ok) continue;
    for (const found of checked.issues) {
      // `[sealed]` stands for the secret stored in the service; whether one is there, the service says.
      if (valueAt(config, found.path) === SEALED_SHOWN) continue;
      issue([index, ...found.path], found.message);
    }
  }
  if (issues.length > 0) throw new ConfigError(file, issues);
  return { triggers, unchecked };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) node = (node as Record<PropertyKey, unknown> | null | undefined)?.[key];
  return node;
}
