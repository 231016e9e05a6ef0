/**
 * Runs a valohai.yaml pipeline on the local runner. A node starts once every node feeding it has
 * ended; edges hand over output files (glob on the output's path), parameters and metadata (a
 * JSON object printed on one stdout line, as in Valohai). `on-error` of a failed node decides
 * what happens next: stop-all cancels the pipeline, stop-next skips its downstream nodes,
 * continue lets them run. All state is in the store, so a restart picks up where it was.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { minimatch } from 'minimatch';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { uuidFromName } from '../../ids.js';
import type { ExecutionRecord, ExecutionSpec, PipelineRecord, Store } from '../../store/store.js';
import { isFinished } from '../../store/store.js';
import { coerceParameter, type ParameterValue } from '../../valohai-yaml/coerce-parameter.js';
import { effectiveParameters } from '../../valohai-yaml/interpolate-command.js';
import { nodeStep, parameterTargets, pipelineEdges, topologicalOrder, type PipelineEdge } from '../../valohai-yaml/pipeline-graph.js';
import type { PipelineDef, PipelineNodeDef, StepDef } from '../../valohai-yaml/schema.js';
import type { LocalRunner } from './local-runner.js';
import type { ProjectVersions } from './project-versions.js';

export interface LocalPipelineRunnerOptions {
  readonly store: Store;
  readonly runner: LocalRunner;
  readonly versions: ProjectVersions;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told when a pipeline ended (complete or error). */
  readonly onEnded?: (pipeline: PipelineRecord) => void;
}

export interface LocalPipelineRunner {
  /** Advances every pipeline a previous process left running. */
  start(): Promise<void>;
  /** Starts the nodes that are ready, or ends the pipeline; safe to call any number of times. */
  advance(pipelineId: string): void;
  idle(): Promise<void>;
  isIdle(): boolean;
}

export function pipelineNodeExecutionId(pipelineId: string, node: string): string {
  return uuidFromName(`pipeline:${pipelineId}:node:${node}`);
}

export function createLocalPipelineRunner(options: LocalPipelineRunnerOptions): LocalPipelineRunner {
  const { store, runner, clock, logger } = options;
  // One advance at a time per pipeline: two nodes ending together must not both start the next.
  const chains = new Map<string, Promise<void>>();

  const advance = (pipelineId: string): void => {
    const previous = chains.get(pipelineId) ?? Promise.resolve();
    const next = previous
      .then(() => advanceOnce(pipelineId))
      .catch((error: unknown) => logger.error({ err: error, pipelineId }, 'advancing a local pipeline failed'))
      .finally(() => {
        if (chains.get(pipelineId) === next) chains.delete(pipelineId);
      });
    chains.set(pipelineId, next);
  };

  const advanceOnce = async (pipelineId: string): Promise<void> => {
    const pipeline = await store.getPipeline(pipelineId);
    if (!pipeline || pipeline.status !== 'started') return;
    const end = async (status: 'complete' | 'error', error?: string): Promise<void> => {
      await store.finishPipeline(pipelineId, { status, endedAtMs: clock.now(), ...(error !== undefined && { error }) });
      options.onEnded?.(pipeline);
    };
    const project = await options.versions.at(pipeline.spec.commit);
    if (!project.ok) return end('error', project.message);
    const def = project.value.pipelines.get(pipeline.spec.pipeline);
    const order = def && topologicalOrder(def);
    if (!def || !order) return end('error', `pipeline "${pipeline.spec.pipeline}" is not (validly) in valohai.yaml`);

    const edges = pipelineEdges(def);
    const nodes = new Map(def.nodes.map((n) => [n.name, n]));
    const executions = new Map((await store.executionsOfPipeline(pipelineId)).map((e) => [e.spec.node!, e]));
    const failedWith = (policy: string): string | undefined =>
      [...executions].find(([node, e]) => isFinished(e.status) && e.status !== 'complete' && e.status !== 'cancelled' && nodes.get(node)?.['on-error'] === policy)?.[0];
    const stopAllBy = failedWith('stop-all');

    const create = async (node: PipelineNodeDef, spec: ExecutionSpec, status: 'queued' | 'cancelled' | 'error', error?: string): Promise<void> => {
      const execution = await store.createExecution({
        id: pipelineNodeExecutionId(pipelineId, node.name),
        jobId: `${pipeline.jobId}:${node.name}`,
        runId: pipeline.runId,
        spec,
        createdAtMs: clock.now(),
        status,
        ...(error !== undefined && { error }),
      });
      executions.set(node.name, execution);
      if (execution.status === 'queued') runner.enqueue(execution.id);
    };

    for (const name of order) {
      if (executions.has(name)) continue;
      const node = nodes.get(name)!;
      const step = nodeStep(node, project.value.steps);
      const skeleton: ExecutionSpec = {
        step: step?.name ?? node.step ?? name,
        title: `${pipeline.spec.title} / ${name}`,
        parameters: {},
        payloadFilename: pipeline.spec.payloadFilename,
        commit: pipeline.spec.commit,
        commitRef: pipeline.spec.commitRef,
        pipelineId,
        pipeline: def.name,
        node: name,
      };
      if (stopAllBy !== undefined) {
        await create(node, skeleton, 'cancelled', `cancelled: node "${stopAllBy}" failed and its on-error is stop-all`);
        continue;
      }
      const upstream = [...new Set(edges.filter((e) => e.target.node === name).map((e) => e.source.node))];
      if (upstream.some((u) => !executions.has(u) || !isFinished(executions.get(u)!.status))) continue;
      const blocking = upstream.find((u) => executions.get(u)!.status !== 'complete' && nodes.get(u)?.['on-error'] !== 'continue');
      if (blocking !== undefined) {
        await create(node, skeleton, 'cancelled', `skipped: upstream node "${blocking}" did not complete`);
        continue;
      }
      if (!step) {
        await create(node, skeleton, 'error', `node "${name}" has no step the local runner can run (type ${node.type})`);
        continue;
      }
      const spec = await nodeSpec(pipeline, def, node, step, edges, executions, skeleton, project.value.steps);
      if (spec.ok) await create(node, spec.spec, 'queued');
      else await create(node, skeleton, 'error', spec.message);
    }

    if (stopAllBy !== undefined) {
      for (const execution of executions.values()) {
        if (!isFinished(execution.status)) await runner.cancel(execution.id, `node "${stopAllBy}" failed and its on-error is stop-all`);
      }
    }
    const all = [...executions.values()];
    if (all.length === def.nodes.length && all.every((e) => isFinished(e.status))) {
      const failed = all.filter((e) => e.status !== 'complete').map((e) => e.spec.node);
      await end(failed.length === 0 ? 'complete' : 'error', failed.length === 0 ? undefined : `node(s) ${failed.join(', ')} did not complete`);
      logger.info({ pipelineId, runId: pipeline.runId, failed }, 'local pipeline ended');
    }
  };

  const nodeSpec = async (
    pipeline: PipelineRecord,
    def: PipelineDef,
    node: PipelineNodeDef,
    step: StepDef,
    edges: readonly PipelineEdge[],
    executions: ReadonlyMap<string, ExecutionRecord>,
    skeleton: ExecutionSpec,
    steps: ReadonlyMap<string, StepDef>,
  ): Promise<{ ok: true; spec: ExecutionSpec } | { ok: false; message: string }> => {
    const values: Record<string, unknown> = {};
    for (const parameter of def.parameters) {
      const value = Object.hasOwn(pipeline.spec.parameters, parameter.name) ? pipeline.spec.parameters[parameter.name] : parameter.default;
      if (value === undefined || value === null) continue;
      for (const target of parameterTargets(parameter)) if (target.node === node.name) values[target.key] = value;
    }
    for (const [key, value] of Object.entries(pipeline.spec.parameters)) {
      if (key.startsWith(`${node.name}.`)) values[key.slice(node.name.length + 1)] = value;
    }
    const inputFiles: Record<string, string[]> = {};
    for (const edge of edges.filter((e) => e.target.node === node.name)) {
      const source = executions.get(edge.source.node)!;
      if (source.status !== 'complete') continue;
      if (edge.source.type === 'output' && edge.target.type === 'input') {
        const files = await matchingOutputs(runner.outputsDir(source.id), edge.source.key);
        (inputFiles[edge.target.key] ??= []).push(...files);
      } else if (edge.target.type === 'parameter' && edge.source.type === 'parameter') {
        const sourceNode = def.nodes.find((n) => n.name === edge.source.node);
        const sourceStep = sourceNode && nodeStep(sourceNode, steps);
        const resolved = sourceStep && effectiveParameters(sourceStep, source.spec.parameters)[edge.source.key];
        if (resolved !== undefined) values[edge.target.key] = resolved;
      } else if (edge.target.type === 'parameter' && edge.source.type === 'metadata') {
        const metadata = await metadataOf(source.id);
        if (Object.hasOwn(metadata, edge.source.key)) values[edge.target.key] = metadata[edge.source.key];
      } else {
        return { ok: false, message: `edge ${edge.source.node}.${edge.source.type}.${edge.source.key} → ${edge.target.node}.${edge.target.type}.${edge.target.key} is not supported by the local runner` };
      }
    }
    const parameters: Record<string, ParameterValue> = {};
    for (const [name, value] of Object.entries(values)) {
      const paramDef = step.parameters.find((p) => p.name === name);
      if (!paramDef) continue;
      const coerced = coerceParameter(paramDef, value);
      if (!coerced.ok) return { ok: false, message: `node "${node.name}": ${coerced.message}` };
      parameters[name] = coerced.value;
    }
    const payloadInput = pipeline.spec.payloadInput?.startsWith(`${node.name}.`) ? pipeline.spec.payloadInput.slice(node.name.length + 1) : undefined;
    return { ok: true, spec: { ...skeleton, parameters, payloadInput, inputFiles } };
  };

  /** Metadata as Valohai collects it: each stdout line holding a JSON object; later keys win. */
  const metadataOf = async (executionId: string): Promise<Record<string, unknown>> => {
    const stdout = (await store.executionLog(executionId)).filter((c) => c.stream === 'stdout').map((c) => c.text).join('');
    const metadata: Record<string, unknown> = {};
    for (const line of stdout.split('\n')) {
      const text = line.trim();
      if (!text.startsWith('{') || !text.endsWith('}')) continue;
      try {
        const value = JSON.parse(text) as unknown;
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(metadata, value);
      } catch {
        // not metadata, just output
      }
    }
    return metadata;
  };

  return {
    async start() {
      for (const pipeline of await store.pipelinesWithStatus('started')) advance(pipeline.id);
    },
    advance,
    async idle() {
      while (chains.size > 0) await Promise.all(chains.values());
    },
    isIdle: () => chains.size === 0,
  };
}

/** Output files whose path (relative to the outputs folder) or name matches the edge's glob. */
async function matchingOutputs(outputsDir: string, pattern: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(outputsDir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => minimatch(relative(outputsDir, path), pattern, { matchBase: true, dot: true }))
    .sort();
}

