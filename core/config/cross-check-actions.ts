import type { ValohaiProject } from '../valohai-yaml/load-valohai-yaml.js';
import { coerceParameter } from '../valohai-yaml/coerce-parameter.js';
import type { ParameterDef, StepDef } from '../valohai-yaml/schema.js';
import { findTemplateErrors, isTemplated } from '../request/payload-template.js';
import { MESSAGE_PLACEHOLDER } from './schema.js';
import type { ActionConfig, Config, TriggerConfig } from './schema.js';

export interface PathIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Checks what the schema alone cannot: names that must exist in valohai.yaml, and conditions that need each other. */
export function crossCheckActions(config: Config, project: ValohaiProject): PathIssue[] {
  const issues: PathIssue[] = [];
  config.triggers.forEach((trigger, t) => issues.push(...crossCheckTrigger(trigger, project, ['triggers', t])));
  return issues;
}

/** The same checks for one trigger, its issues' paths under `at`. */
export function crossCheckTrigger(trigger: TriggerConfig, project: ValohaiProject, at: readonly PropertyKey[] = []): PathIssue[] {
  const issues: PathIssue[] = [];
  checkConditions(trigger, [...at], issues);
  trigger.actions.forEach((action, a) => checkAction(action, project, [...at, 'actions', a], issues));
  if (trigger.batch) checkBatch(trigger, [...at], issues);
  return issues;
}

/** A batch's payload is always batch.jsonl + index.json (what load_batch() reads); a fetch has nothing to batch. */
function checkBatch(trigger: TriggerConfig, at: PropertyKey[], issues: PathIssue[]): void {
  trigger.actions.forEach((action, a) => {
    if (action.type === 'fetch-repository') {
      issues.push({ path: [...at, 'actions', a, 'type'], message: 'fetch-repository cannot be batched (a fetch reads no payload); drop `batch` or use a separate trigger' });
    } else if (action.payload_filename !== undefined) {
      issues.push({ path: [...at, 'actions', a, 'payload_filename'], message: 'a batched trigger hands over batch.jsonl and index.json; remove payload_filename' });
    }
  });
}

function checkConditions(trigger: TriggerConfig, at: PropertyKey[], issues: PathIssue[]): void {
  const hasTimestamp = trigger.conditions.some((c) => c.type === 'timestamp');
  trigger.conditions.forEach((condition, c) => {
    if (condition.type !== 'web-request-auth' || condition.auth_type !== 'hmac') return;
    const path = [...at, 'conditions', c, 'message'];
    for (const match of condition.message.matchAll(/\{([^{}]*)\}/g)) {
      const name = match[1]!;
      if (!MESSAGE_PLACEHOLDER.test(`{${name}}`)) {
        issues.push({ path, message: `unknown placeholder {${name}}; use {body}, {timestamp} or {header:Name}` });
      } else if (name === 'timestamp' && !hasTimestamp) {
        issues.push({ path, message: '{timestamp} needs a timestamp condition on the same trigger (it says where the timestamp is)' });
      }
    }
    if (!condition.message.includes('{body}')) {
      issues.push({ path, message: 'the signed message must include {body}, or the body would not be authenticated' });
    }
  });
}

function checkAction(action: ActionConfig, project: ValohaiProject, at: PropertyKey[], issues: PathIssue[]): void {
  if (action.type === 'fetch-repository') return;
  if (action.commit !== undefined && isTemplated(action.commit)) {
    const error = findTemplateErrors(action.commit);
    if (error) issues.push({ path: [...at, 'commit'], message: error });
  }
  if (action.type === 'run-execution') {
    const step = project.steps.get(action.step);
    if (!step) {
      issues.push({ path: [...at, 'step'], message: `no step "${action.step}" in ${project.file}; steps: ${names(project.steps)}` });
      return;
    }
    if (action.payload_input !== undefined && !step.inputs.some((i) => i.name === action.payload_input)) {
      issues.push({ path: [...at, 'payload_input'], message: `step "${step.name}" has no input "${action.payload_input}"; inputs: ${list(step.inputs.map((i) => i.name))}` });
    }
    for (const [name, value] of Object.entries(action.parameters)) {
      checkParameter(step, name, value, [...at, 'parameters', name], issues);
    }
    for (const def of step.parameters) {
      const required = def.type !== 'flag' && !def.optional && (def.default === undefined || def.default === null);
      if (required && !Object.hasOwn(action.parameters, def.name)) {
        issues.push({ path: [...at, 'parameters'], message: `step "${step.name}" needs parameter "${def.name}" (it has no default in valohai.yaml)` });
      }
    }
    return;
  }
  const pipeline = project.pipelines.get(action.pipeline);
  if (!pipeline) {
    issues.push({ path: [...at, 'pipeline'], message: `no pipeline "${action.pipeline}" in ${project.file}; pipelines: ${names(project.pipelines)}` });
    return;
  }
  const nodeStep = (nodeName: string): StepDef | undefined => {
    const node = pipeline.nodes.find((n) => n.name === nodeName);
    return node?.step === undefined ? undefined : project.steps.get(node.step);
  };
  if (action.payload_input !== undefined) {
    const dot = action.payload_input.indexOf('.');
    const nodeName = action.payload_input.slice(0, dot);
    const inputName = action.payload_input.slice(dot + 1);
    const step = dot > 0 ? nodeStep(nodeName) : undefined;
    if (dot <= 0) {
      issues.push({ path: [...at, 'payload_input'], message: 'a pipeline payload input is "<node>.<input>", e.g. preprocess.dataset' });
    } else if (!step) {
      issues.push({ path: [...at, 'payload_input'], message: `pipeline "${pipeline.name}" has no execution node "${nodeName}"; nodes: ${list(pipeline.nodes.map((n) => n.name))}` });
    } else if (!step.inputs.some((i) => i.name === inputName)) {
      issues.push({ path: [...at, 'payload_input'], message: `node "${nodeName}" (step "${step.name}") has no input "${inputName}"; inputs: ${list(step.inputs.map((i) => i.name))}` });
    }
  }
  for (const [key, value] of Object.entries(action.parameters)) {
    const path = [...at, 'parameters', key];
    const dot = key.indexOf('.');
    if (dot < 0) {
      if (!pipeline.parameters.some((p) => p.name === key)) {
        issues.push({ path, message: `pipeline "${pipeline.name}" has no parameter "${key}"; name a pipeline parameter or "<node>.<parameter>"` });
      }
      continue;
    }
    const step = nodeStep(key.slice(0, dot));
    if (!step) issues.push({ path, message: `pipeline "${pipeline.name}" has no execution node "${key.slice(0, dot)}"` });
    else checkParameter(step, key.slice(dot + 1), value, path, issues);
  }
}

function checkParameter(step: StepDef, name: string, value: unknown, path: PropertyKey[], issues: PathIssue[]): void {
  const def: ParameterDef | undefined = step.parameters.find((p) => p.name === name);
  if (!def) {
    issues.push({ path, message: `step "${step.name}" has no parameter "${name}"; parameters: ${list(step.parameters.map((p) => p.name))}` });
    return;
  }
  if (typeof value === 'string' && isTemplated(value)) {
    const error = findTemplateErrors(value);
    if (error) issues.push({ path, message: error });
    return;
  }
  const coerced = coerceParameter(def, value);
  if (!coerced.ok) issues.push({ path, message: coerced.message });
}

function names(map: ReadonlyMap<string, unknown>): string {
  return list([...map.keys()]);
}

function list(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.join(', ');
}
