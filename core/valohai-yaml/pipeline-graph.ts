/**
 * A pipeline's graph as valohai-yaml defines it: edges between `node.type.key` sockets (split on
 * the first two dots only, so keys keep their dots and globs), checked once when valohai.yaml
 * loads so a broken pipeline fails start-up rather than a launch.
 */
import type { PipelineDef, PipelineNodeDef, StepDef } from './schema.js';

export const EDGE_TYPES = ['output', 'input', 'parameter', 'metadata', 'file', 'deployment', 'environment-variable', 'dependency'] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];

export interface EdgeSocket {
  readonly node: string;
  readonly type: EdgeType;
  readonly key: string;
}

export interface PipelineEdge {
  readonly source: EdgeSocket;
  readonly target: EdgeSocket;
  readonly configuration?: Readonly<Record<string, unknown>> | undefined;
}

export function parseSocket(text: string): EdgeSocket | undefined {
  const first = text.indexOf('.');
  const second = first < 0 ? -1 : text.indexOf('.', first + 1);
  if (first <= 0 || second < 0 || second === text.length - 1) return undefined;
  const type = text.slice(first + 1, second);
  if (!(EDGE_TYPES as readonly string[]).includes(type)) return undefined;
  return { node: text.slice(0, first), type: type as EdgeType, key: text.slice(second + 1) };
}

export function pipelineEdges(pipeline: PipelineDef): PipelineEdge[] {
  return pipeline.edges.flatMap((edge) => {
    const [source, target, configuration] = Array.isArray(edge) ? [edge[0], edge[1], undefined] : [edge.source, edge.target, edge.configuration];
    const s = parseSocket(source);
    const t = parseSocket(target);
    return s && t ? [{ source: s, target: t, configuration }] : [];
  });
}

/** Targets of a pipeline parameter (`target` or `targets`) as `node.parameter.name` sockets. */
export function parameterTargets(parameter: PipelineDef['parameters'][number]): EdgeSocket[] {
  const raw = [parameter.target, ...(Array.isArray(parameter.targets) ? parameter.targets : [parameter.targets])].filter((t): t is string => typeof t === 'string');
  return raw.flatMap((text) => {
    const socket = parseSocket(text);
    return socket ? [socket] : [];
  });
}

/** The step a node runs, with the node's `override` applied (command, parameter and input defaults). */
export function nodeStep(node: PipelineNodeDef, steps: ReadonlyMap<string, StepDef>): StepDef | undefined {
  const step = node.step === undefined ? undefined : steps.get(node.step);
  if (!step || !node.override) return step;
  const { command, image, parameters, inputs } = node.override;
  const mergeByName = <T extends { name: string }>(base: readonly T[], extra: readonly T[] | undefined): T[] =>
    extra ? [...base.filter((b) => !extra.some((e) => e.name === b.name)), ...extra] : [...base];
  return {
    ...step,
    ...(command !== undefined && { command: Array.isArray(command) ? command : [command] }),
    ...(image !== undefined && { image }),
    parameters: mergeByName(step.parameters, parameters),
    inputs: mergeByName(step.inputs, inputs),
  };
}

export interface GraphIssue {
  /** Relative to the pipeline object: `['edges', 2]`. */
  readonly path: PropertyKey[];
  readonly message: string;
}

/** Unknown nodes, sockets that name nothing, and cycles. */
export function checkPipeline(pipeline: PipelineDef, steps: ReadonlyMap<string, StepDef>): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const nodes = new Map<string, PipelineNodeDef>();
  pipeline.nodes.forEach((node, index) => {
    if (nodes.has(node.name)) issues.push({ path: ['nodes', index, 'name'], message: `node "${node.name}" is defined twice` });
    nodes.set(node.name, node);
    if (node.type !== 'deployment' && (node.step === undefined || !steps.has(node.step))) {
      issues.push({ path: ['nodes', index, 'step'], message: node.step === undefined ? `node "${node.name}" names no step` : `node "${node.name}" runs step "${node.step}", which is not defined` });
    }
  });

  pipeline.edges.forEach((edge, index) => {
    const [source, target] = Array.isArray(edge) ? edge : [edge.source, edge.target];
    for (const [text, role] of [[source, 'source'], [target, 'target']] as const) {
      const socket = parseSocket(text);
      if (!socket) {
        issues.push({ path: ['edges', index], message: `${role} "${text}" is not "<node>.<${EDGE_TYPES.join('|')}>.<key>"` });
        continue;
      }
      const node = nodes.get(socket.node);
      if (!node) {
        issues.push({ path: ['edges', index], message: `${role} "${text}" names node "${socket.node}", which the pipeline does not have` });
        continue;
      }
      const step = nodeStep(node, steps);
      if (!step) continue;
      const missing = socketMissing(socket, role, step);
      if (missing) issues.push({ path: ['edges', index], message: `${role} "${text}": ${missing}` });
    }
  });

  pipeline.parameters.forEach((parameter, index) => {
    for (const target of parameterTargets(parameter)) {
      const node = nodes.get(target.node);
      const step = node && nodeStep(node, steps);
      if (!node) issues.push({ path: ['parameters', index], message: `target names node "${target.node}", which the pipeline does not have` });
      else if (step && (target.type !== 'parameter' || !step.parameters.some((p) => p.name === target.key))) {
        issues.push({ path: ['parameters', index], message: `target "${target.node}.${target.type}.${target.key}" is not a parameter of step "${step.name}"` });
      }
    }
  });

  const cycle = findCycle(pipeline);
  if (cycle) issues.push({ path: ['edges'], message: `the edges form a cycle: ${cycle.join(' → ')}` });
  return issues;
}

function socketMissing(socket: EdgeSocket, role: 'source' | 'target', step: StepDef): string | undefined {
  if (socket.type === 'input' && !step.inputs.some((i) => i.name === socket.key)) {
    return `step "${step.name}" has no input "${socket.key}"; inputs: ${step.inputs.map((i) => i.name).join(', ') || '(none)'}`;
  }
  if (socket.type === 'parameter' && !step.parameters.some((p) => p.name === socket.key)) {
    return `step "${step.name}" has no parameter "${socket.key}"; parameters: ${step.parameters.map((p) => p.name).join(', ') || '(none)'}`;
  }
  if (role === 'target' && (socket.type === 'output' || socket.type === 'metadata')) return `an edge cannot end at an ${socket.type}`;
  return undefined;
}

/** Node names in an order where every edge's source comes before its target; edges to self count. */
export function topologicalOrder(pipeline: PipelineDef): string[] | undefined {
  const edges = pipelineEdges(pipeline);
  const indegree = new Map(pipeline.nodes.map((n) => [n.name, 0]));
  for (const edge of edges) indegree.set(edge.target.node, (indegree.get(edge.target.node) ?? 0) + 1);
  const ready = [...indegree].filter(([, d]) => d === 0).map(([n]) => n);
  const order: string[] = [];
  while (ready.length > 0) {
    const node = ready.shift()!;
    order.push(node);
    for (const edge of edges.filter((e) => e.source.node === node)) {
      const left = indegree.get(edge.target.node)! - 1;
      indegree.set(edge.target.node, left);
      if (left === 0) ready.push(edge.target.node);
    }
  }
  return order.length === indegree.size ? order : undefined;
}

function findCycle(pipeline: PipelineDef): string[] | undefined {
  if (topologicalOrder(pipeline)) return undefined;
  const edges = pipelineEdges(pipeline);
  const next = (node: string): string[] => edges.filter((e) => e.source.node === node).map((e) => e.target.node);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const target of next(node)) {
      if (state.get(target) === 'visiting') return [...stack.slice(stack.indexOf(target)), target];
      if (!state.has(target)) {
        const found = visit(target);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of pipeline.nodes) {
    if (!state.has(node.name)) {
      const found = visit(node.name);
      if (found) return found;
    }
  }
  return undefined;
}
