import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, formatPath, type ConfigIssue } from '../yaml/config-error.js';
import { lineOf } from '../yaml/yaml-lines.js';
import { checkPipeline } from './pipeline-graph.js';
import { ITEM_SCHEMAS, type PipelineDef, type StepDef } from './schema.js';

export interface ValohaiProject {
  readonly file: string;
  readonly steps: ReadonlyMap<string, StepDef>;
  readonly pipelines: ReadonlyMap<string, PipelineDef>;
}

/** Reads and validates valohai.yaml; problems come back as one ConfigError naming file and line. */
export function loadValohaiYaml(file: string, text: string = readFileSync(file, 'utf8')): ValohaiProject {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => ({ path: '', line: lines.linePos(error.pos[0]).line, message: error.message })),
    );
  }
  const steps = new Map<string, StepDef>();
  const pipelines = new Map<string, PipelineDef>();
  const issues: ConfigIssue[] = [];
  const issue = (path: PropertyKey[], message: string): void => void issues.push({ path: formatPath(path), line: lineOf(doc, lines, path), message });
  const items: unknown = doc.toJS();
  if (!Array.isArray(items)) {
    issue([], 'valohai.yaml must be a list of "- step:" and "- pipeline:" items');
    throw new ConfigError(file, issues);
  }
  items.forEach((item: unknown, index) => {
    const keys = item !== null && typeof item === 'object' ? Object.keys(item) : [];
    const kind = keys[0] as keyof typeof ITEM_SCHEMAS | undefined;
    if (keys.length !== 1 || kind === undefined || !Object.hasOwn(ITEM_SCHEMAS, kind)) {
      issue([index], `each item must have exactly one key: step, pipeline, endpoint or task (found ${keys.join(', ') || 'none'})`);
      return;
    }
    const parsed = ITEM_SCHEMAS[kind].safeParse((item as Record<string, unknown>)[kind]);
    if (!parsed.success) {
      for (const problem of parsed.error.issues) issue([index, kind, ...problem.path], problem.message);
      return;
    }
    if (kind === 'step') {
      const step = parsed.data as StepDef;
      if (steps.has(step.name)) issue([index, kind, 'name'], `step "${step.name}" is defined twice`);
      steps.set(step.name, step);
    } else if (kind === 'pipeline') {
      const pipeline = parsed.data as PipelineDef;
      if (pipelines.has(pipeline.name)) issue([index, kind, 'name'], `pipeline "${pipeline.name}" is defined twice`);
      pipelines.set(pipeline.name, pipeline);
    }
  });
  items.forEach((item: unknown, index) => {
    const pipeline = (item as { pipeline?: { name?: unknown } } | null)?.pipeline;
    const def = typeof pipeline?.name === 'string' ? pipelines.get(pipeline.name) : undefined;
    if (def && def === pipelines.get(def.name)) {
      for (const problem of checkPipeline(def, steps)) issue([index, 'pipeline', ...problem.path], `pipeline "${def.name}": ${problem.message}`);
    }
  });
  if (issues.length > 0) throw new ConfigError(file, issues);
  return { file, steps, pipelines };
}
