/**
 * valohai.yaml pipeline → the body of `POST /api/v0/pipelines/`, the way valohai-yaml's
 * PipelineConverter (valohai_yaml/pipelines/conversion.py, used by `vh pipeline run`) builds it:
 * expanded edges; per node its serialised fields (`on-error` with a hyphen, as Item.serialize()
 * turns `on_error` into it) and a template of the whole step as Step.serialize() writes it, with
 * the node's override merged in and parameters and inputs as `{name: default}` maps.
 * Hand-written because valohai-yaml is Python; each rule names the code it follows.
 */
import type { ParameterValue } from '../../valohai-yaml/coerce-parameter.js';
import { parameterTargets, pipelineEdges } from '../../valohai-yaml/pipeline-graph.js';
import { parseDurationSeconds, type PipelineDef, type PipelineNodeDef, type StepDef } from '../../valohai-yaml/schema.js';

export interface PipelineConversion {
  /** The commit identifier the run targets (already resolved). */
  readonly commit: string;
  /** Trigger parameters: a pipeline parameter's name, or `node.parameter`. */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly payload?: { readonly node: string; readonly input: string; readonly urls: readonly string[] } | undefined;
  readonly environment?: string | undefined;
}

export interface ConvertedPipeline {
  edges: Array<Record<string, unknown>>;
  nodes: Array<Record<string, unknown>>;
  parameters: Record<string, { config: Record<string, unknown>; expression: unknown }>;
}

type Named = { readonly name: string } & Record<string, unknown>;

export function convertPipeline(pipeline: PipelineDef, steps: ReadonlyMap<string, StepDef>, conversion: PipelineConversion): ConvertedPipeline {
  return {
    edges: pipelineEdges(pipeline).map((edge) => ({
      source_node: edge.source.node,
      source_type: edge.source.type,
      source_key: edge.source.key,
      target_node: edge.target.node,
      target_type: edge.target.type,
      target_key: edge.target.key,
      ...(edge.configuration !== undefined && { configuration: edge.configuration }),
    })),
    nodes: pipeline.nodes.map((node) => convertNode(node, steps, conversion)),
    parameters: Object.fromEntries(
      pipeline.parameters.map((parameter) => {
        const value = Object.hasOwn(conversion.parameters, parameter.name) ? conversion.parameters[parameter.name] : (parameter.default ?? '');
        const config = {
          name: parameter.name,
          targets: parameterTargets(parameter).map((t) => `${t.node}.${t.type}.${t.key}`),
          ...(parameter.default !== undefined && { default: parameter.default }),
        };
        // A list becomes a variant expression (conversion.py convert_expression).
        const expression = Array.isArray(value) ? { style: 'single', rules: { value } } : value;
        return [parameter.name, { config, expression }];
      }),
    ),
  };
}

function convertNode(node: PipelineNodeDef, steps: ReadonlyMap<string, StepDef>, conversion: PipelineConversion): Record<string, unknown> {
  // Node.serialize() (objs/pipelines/node.py): every field, `on_error` as `on-error` (always, the
  // default `stop-all` too), empty `actions` and `override` dropped, plus `type`.
  const { override, step: stepName, commit: nodeCommit, 'on-error': onError, actions, ...rest } = node;
  const head = { ...rest, ...(Array.isArray(actions) && actions.length > 0 && { actions }), 'on-error': onError, type: node.type };
  if (node.type === 'deployment') {
    // convert_deployment_node: the run's commit, whatever the node says.
    return { ...head, commit: conversion.commit };
  }
  const step = stepName === undefined ? undefined : steps.get(stepName);
  // convert_executionlike_node: a node on another commit is a remote step reference, of which
  // only the override is known; a node on the run's commit gets the whole local step.
  const local = nodeCommit === undefined || nodeCommit === conversion.commit;
  const template: Record<string, unknown> = local && step ? stepTemplate(step, override) : overrideTemplate(override);
  const inputs = (template.inputs ?? {}) as Record<string, unknown>;
  const parameters = (template.parameters ?? {}) as Record<string, unknown>;
  // hooklaunch's own additions on top of what `vh pipeline run` sends: the payload URL and the
  // trigger's `node.parameter` values.
  if (conversion.payload?.node === node.name) inputs[conversion.payload.input] = [...conversion.payload.urls];
  for (const [key, value] of Object.entries(conversion.parameters)) {
    if (key.startsWith(`${node.name}.`)) parameters[key.slice(node.name.length + 1)] = value;
  }
  if (Object.keys(inputs).length > 0 || template.inputs !== undefined) template.inputs = inputs;
  if (Object.keys(parameters).length > 0 || template.parameters !== undefined) template.parameters = parameters;
  if (conversion.environment !== undefined) template.environment = conversion.environment;
  return { ...head, template: { commit: nodeCommit ?? conversion.commit, step: stepName, ...template } };
}

type Override = PipelineNodeDef['override'];

/** Step.serialize() (objs/step.py) with conversion.py's runtime_config and the override merged in. */
function stepTemplate(step: StepDef, override: Override): Record<string, unknown> {
  const out: Record<string, unknown> = { name: step.name, image: step.image, command: step.commandAsWritten ?? step.command };
  // serialize_into(..., elide_empty_iterables=True): empty lists and unset values are left out.
  const put = (key: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value) && value.length === 0) return;
    out[key] = value;
  };
  const raw = step as Record<string, unknown>;
  put('mounts', Array.isArray(raw.mounts) ? raw.mounts.map(serializeMount) : undefined);
  put('outputs', step.outputs);
  put('environment', typeof raw.environment === 'string' && raw.environment !== '' ? raw.environment : undefined);
  put('description', raw.description);
  // `int(self.time_limit.total_seconds()) if self.time_limit else None`: zero is left out too.
  put('time-limit', step['time-limit'] ? step['time-limit'] : undefined);
  const noOutputTimeout = typeof raw['no-output-timeout'] === 'number' || typeof raw['no-output-timeout'] === 'string' ? parseDurationSeconds(raw['no-output-timeout']) : undefined;
  for (const key of ['icon', 'category', 'source-path', 'resources', 'stop-condition', 'upload-store']) put(key, raw[key]);
  // conversion.py: runtime_config is always set; no-output-timeout moves into it.
  out.runtime_config = noOutputTimeout ? { no_output_timeout: noOutputTimeout } : {};

  // Override.merge_with_step + serialize_to_template (objs/pipelines/override.py).
  const parameters = mergeByName(step.parameters as unknown as Named[], override?.parameters as unknown as Named[] | undefined);
  const inputs = mergeByName(step.inputs as unknown as Named[], override?.inputs as unknown as Named[] | undefined);
  const environmentVariables = mergeByName(
    step['environment-variables'] as unknown as Named[],
    (override as Record<string, unknown> | undefined)?.['environment-variables'] as Named[] | undefined,
  );
  if (override?.image) out.image = override.image;
  if (override?.command !== undefined && override.command.length > 0) out.command = override.command;
  const overrideEnvironment = (override as Record<string, unknown> | undefined)?.environment;
  if (typeof overrideEnvironment === 'string' && overrideEnvironment !== '') out.environment = overrideEnvironment;
  if (environmentVariables.length > 0) out['environment-variables'] = environmentVariables.map(serializeEnvironmentVariable);
  out.parameters = Object.fromEntries(parameters.map((p) => [p.name, p.default ?? null]));
  out.inputs = Object.fromEntries(inputs.map((i) => [i.name, listify(i.default)]));
  return out;
}

/** A node on another commit: only `override.serialize()` (conversion.py, "hope for the best"). */
function overrideTemplate(override: Override): Record<string, unknown> {
  if (!override) return {};
  const o = override as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (o.image) out.image = o.image;
  if (o.command !== undefined && (!Array.isArray(o.command) || o.command.length > 0) && o.command !== '') out.command = o.command;
  if (Array.isArray(o.mounts) && o.mounts.length > 0) out.mounts = o.mounts.map(serializeMount);
  // valohai-yaml leaves these as lists here; as maps, like every other template, so the
  // payload input and trigger parameters can be added.
  if (Array.isArray(o.parameters) && o.parameters.length > 0) out.parameters = Object.fromEntries((o.parameters as Named[]).map((p) => [p.name, p.default ?? null]));
  if (Array.isArray(o.inputs) && o.inputs.length > 0) out.inputs = Object.fromEntries((o.inputs as Named[]).map((i) => [i.name, listify(i.default)]));
  if (typeof o.environment === 'string' && o.environment !== '') out.environment = o.environment;
  if (Array.isArray(o['environment-variables']) && o['environment-variables'].length > 0) out['environment-variables'] = (o['environment-variables'] as Named[]).map(serializeEnvironmentVariable);
  return out;
}

/** merge_dicts(a, b, merger=merge_simple): by name, b's set fields over a's, a's order then b's new names. */
function mergeByName(base: readonly Named[], extra: readonly Named[] | undefined): Named[] {
  const merged = new Map<string, Named>(base.map((item) => [item.name, item]));
  for (const item of extra ?? []) {
    const set = Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined && v !== null)) as Named;
    merged.set(item.name, { ...(merged.get(item.name) ?? {}), ...set });
  }
  return [...merged.values()];
}

/** EnvironmentVariable via Item.serialize(): name, default, description when set; optional (default true). */
function serializeEnvironmentVariable(variable: Named): Record<string, unknown> {
  return {
    name: variable.name,
    ...(variable.default !== undefined && variable.default !== null && { default: variable.default }),
    ...(typeof variable.description === 'string' && { description: variable.description }),
    optional: variable.optional === undefined ? true : Boolean(variable.optional),
  };
}

/** Mount.parse + Item.serialize() (objs/mount.py): "src:dst" strings become objects; readonly always. */
function serializeMount(mount: unknown): unknown {
  const m = typeof mount === 'string' ? { source: mount.slice(0, mount.indexOf(':')), destination: mount.slice(mount.indexOf(':') + 1) } : (mount as Record<string, unknown>);
  const options = m.options !== null && typeof m.options === 'object' ? Object.fromEntries(Object.entries(m.options).filter(([, v]) => v !== null && v !== undefined)) : {};
  return {
    destination: m.destination,
    ...(Object.keys(options).length > 0 && { options }),
    readonly: Boolean(m.readonly),
    source: m.source,
    ...(typeof m.type === 'string' && m.type !== '' && { type: m.type.toLowerCase() }),
  };
}

function listify(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
