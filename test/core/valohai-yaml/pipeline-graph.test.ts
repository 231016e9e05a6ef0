import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/yaml/config-error.js';
import { loadValohaiYaml } from '../../../core/valohai-yaml/load-valohai-yaml.js';
import { parseSocket, pipelineEdges, topologicalOrder } from '../../../core/valohai-yaml/pipeline-graph.js';

const STEPS = `
- step:
    name: prep
    image: x
    command: prep
    parameters: [{name: n, type: integer, default: 1}]
    inputs: [{name: raw}]
- step:
    name: train
    image: x
    command: train
    parameters: [{name: n, type: integer, default: 1}]
    inputs: [{name: data}]
`;

function issues(pipeline: string): Array<{ path: string; line?: number | undefined; message: string }> {
  try {
    loadValohaiYaml('valohai.yaml', STEPS + pipeline);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('pipeline graph', () => {
  it('splits sockets on the first two dots only', () => {
    expect(parseSocket('prep.output.*train-images*.csv')).toEqual({ node: 'prep', type: 'output', key: '*train-images*.csv' });
    expect(parseSocket('a.metadata.parsed.prompt')).toEqual({ node: 'a', type: 'metadata', key: 'parsed.prompt' });
    expect(parseSocket('a.bogus.x')).toBeUndefined();
    expect(parseSocket('a.output')).toBeUndefined();
  });

  it('accepts a valid pipeline and orders its nodes', () => {
    const project = loadValohaiYaml('valohai.yaml', `${STEPS}
- pipeline:
    name: p
    nodes:
      - {name: t, type: execution, step: train}
      - {name: p, type: execution, step: prep}
    edges:
      - [p.output.*.csv, t.input.data]
      - {source: p.parameter.n, target: t.parameter.n}
`);
    const pipeline = project.pipelines.get('p')!;
    expect(pipelineEdges(pipeline)).toHaveLength(2);
    expect(topologicalOrder(pipeline)).toEqual(['p', 't']);
  });

  const broken: Array<[string, string, { path: string; line: number; message: RegExp }]> = [
    [
      'a cycle',
      `- pipeline:\n    name: p\n    nodes:\n      - {name: a, step: prep}\n      - {name: b, step: train}\n    edges:\n      - [a.parameter.n, b.parameter.n]\n      - [b.parameter.n, a.parameter.n]\n`,
      { path: '[2].pipeline.edges', line: 19, message: /cycle: a → b → a/ },
    ],
    [
      'an edge to an unknown node',
      `- pipeline:\n    name: p\n    nodes:\n      - {name: a, step: prep}\n    edges:\n      - [a.output.*, nope.input.data]\n`,
      { path: '[2].pipeline.edges[0]', line: 19, message: /names node "nope"/ },
    ],
    [
      'an edge to a missing input',
      `- pipeline:\n    name: p\n    nodes:\n      - {name: a, step: prep}\n      - {name: b, step: train}\n    edges:\n      - [a.output.*, b.input.dataset]\n`,
      { path: '[2].pipeline.edges[0]', line: 20, message: /step "train" has no input "dataset"; inputs: data/ },
    ],
    [
      'a node with an unknown step',
      `- pipeline:\n    name: p\n    nodes:\n      - {name: a, step: nope}\n    edges: []\n`,
      { path: '[2].pipeline.nodes[0].step', line: 17, message: /runs step "nope", which is not defined/ },
    ],
    [
      'a malformed socket',
      `- pipeline:\n    name: p\n    nodes:\n      - {name: a, step: prep}\n    edges:\n      - [a.outputs.x, a.input.raw]\n`,
      { path: '[2].pipeline.edges[0]', line: 19, message: /source "a.outputs.x" is not/ },
    ],
    [
      'a pipeline parameter targeting a missing parameter',
      `- pipeline:\n    name: p\n    parameters: [{name: q, target: a.parameter.nope}]\n    nodes:\n      - {name: a, step: prep}\n    edges: []\n`,
      { path: '[2].pipeline.parameters[0]', line: 16, message: /not a parameter of step "prep"/ },
    ],
  ];
  it.each(broken)('rejects %s at start-up with the valohai.yaml line', (_name, pipeline, expected) => {
    const found = issues(pipeline);
    const issue = found.find((i) => i.path === expected.path);
    expect(issue, JSON.stringify(found)).toBeDefined();
    expect(issue!.line).toBe(expected.line);
    expect(issue!.message).toMatch(expected.message);
  });
});
