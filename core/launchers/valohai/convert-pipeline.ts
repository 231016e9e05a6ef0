/**
 * valohai.yaml pipeline → the body of `POST /api/v0/pipelines/`, the way valohai-yaml's
 * PipelineConverter (used by `vh pipeline run`) builds it: expanded edges, and per node a
 * template of the step with its default inputs and parameters at the given commit.
 */
import type { ParameterValue } from '../../valohai-yaml/coerce-parameter.js';
import { nodeStep, parameterTargets, pipelineEdges } from '../../valohai-yaml/pipeline-graph.js';
import type { PipelineDef, StepDef } from '../../valohai-yaml/schema.js';

export interface PipelineConversion {
  readonly commit: string;
  /** Trigger parameters: a pipeline parameter's name, or `node.parameter`. */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly payload?: { readonly node: string; readonly input: string; readonly url: string } | undefined;
  readonly environment?: string | undefined;
}

export interface ConvertedPipeline {
  edges: Array<Record<string, unknown>>;
  nodes: Array<Record<string, unknown>>;
  parameters: Record<string, { config: Record<string, unknown>; expression: unknown }>;
}

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
    nodes: pipeline.nodes.map((node) => {
      const step = nodeStep(node, steps);
      if (node.type === 'deployment' || !step) {
        const { override: _override, 'on-error': onError, ...rest } = node;
        return { ...rest, on_error: onError, commit: node.commit ?? conversion.commit };
      }
      const inputs: Record<string, string[]> = Object.fromEntries(
        step.inputs.map((input) => [input.name, input.default === undefined ? [] : Array.isArray(input.default) ? input.default : [input.default]]),
      );
      if (conversion.payload?.node === node.name) inputs[conversion.payload.input] = [conversion.payload.url];
      const parameters: Record<string, unknown> = Object.fromEntries(step.parameters.map((p) => [p.name, p.default ?? null]));
      for (const [key, value] of Object.entries(conversion.parameters)) {
        if (key.startsWith(`${node.name}.`)) parameters[key.slice(node.name.length + 1)] = value;
      }
      const environmentVariables = step['environment-variables'];
      return {
        name: node.name,
        type: node.type,
        on_error: node['on-error'],
        template: {
          commit: node.commit ?? conversion.commit,
          step: step.name,
          image: step.image,
          command: step.command,
          inputs,
          parameters,
          ...(environmentVariables.length > 0 && {
            'environment-variables': Object.fromEntries(environmentVariables.map((v) => [v.name, v.default ?? null])),
          }),
          ...(conversion.environment !== undefined && { environment: conversion.environment }),
        },
      };
    }),
    parameters: Object.fromEntries(
      pipeline.parameters.map((parameter) => {
        const value = Object.hasOwn(conversion.parameters, parameter.name) ? conversion.parameters[parameter.name] : (parameter.default ?? '');
        const config = {
          name: parameter.name,
          targets: parameterTargets(parameter).map((t) => `${t.node}.${t.type}.${t.key}`),
          ...(parameter.default !== undefined && { default: parameter.default }),
        };
        // A list becomes a variant expression, as the CLI sends it.
        const expression = Array.isArray(value) ? { style: 'single', rules: { value } } : value;
        return [parameter.name, { config, expression }];
      }),
    ),
  };
}
