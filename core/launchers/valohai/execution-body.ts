/**
 * The body of `POST /api/v0/executions/` as `vh execution run <step>` builds it
 * (valohai/valohai-cli valohai_cli/commands/execution/run/dynamic_run_command.py `execute()`):
 * commit, inputs, parameters, project, step, then environment, title, environment_variables and
 * tags when set. Every step parameter and input is there with its default (they are click
 * options whose default is the step's), a flag without a value is left out, and the step's
 * environment variables come with their defaults. Hand-written because valohai-cli is Python.
 */
import type { ParameterValue } from '../../valohai-yaml/coerce-parameter.js';
import type { StepDef } from '../../valohai-yaml/schema.js';

export interface ExecutionRequest {
  readonly project: string;
  /** Already resolved to Valohai's identifier. */
  readonly commit: string;
  readonly step: StepDef;
  readonly title: string;
  /** The trigger's values, over the step's defaults. */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** The payload input's URLs: the run's payload (and a batch's index.json). */
  readonly payload?: { readonly input: string; readonly urls: readonly string[] } | undefined;
  readonly environment?: string | undefined;
  readonly tags: readonly string[];
}

export function executionBody(request: ExecutionRequest): Record<string, unknown> {
  const { step } = request;
  const inputs: Record<string, unknown> = Object.fromEntries(
    step.inputs.map((input) => [input.name, input.default === undefined || input.default === '' ? [] : Array.isArray(input.default) ? input.default : [input.default]]),
  );
  if (request.payload) inputs[request.payload.input] = [...request.payload.urls];
  const parameters: Record<string, unknown> = {};
  for (const parameter of step.parameters) {
    const value = Object.hasOwn(request.parameters, parameter.name) ? request.parameters[parameter.name] : (parameter.default ?? null);
    // "Clean out default-less flag parameters whose value would be None" (_process_parameters).
    if (parameter.type === 'flag' && value === null) continue;
    parameters[parameter.name] = value;
  }
  for (const [name, value] of Object.entries(request.parameters)) if (!Object.hasOwn(parameters, name)) parameters[name] = value;
  const environmentVariables = Object.fromEntries(step['environment-variables'].map((v) => [v.name, v.default ?? null]));
  return {
    commit: request.commit,
    inputs,
    parameters,
    project: request.project,
    step: step.name,
    ...(request.environment !== undefined && { environment: request.environment }),
    ...(request.title !== '' && { title: request.title }),
    ...(Object.keys(environmentVariables).length > 0 && { environment_variables: environmentVariables }),
    // valohai-cli's tests/commands/execution/run/test_run.py test_run_time_limit: the step's
    // time-limit in seconds, left out when unset or zero.
    ...(step['time-limit'] ? { time_limit: step['time-limit'] } : {}),
    ...(request.tags.length > 0 && { tags: request.tags }),
  };
}
