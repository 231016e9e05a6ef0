/** Local pipelines end to end: payload in, outputs, metadata and parameters along the edges. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../core/store/store.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-c984-7f66-8302-0000000000c1';

const PREPARE_PY = `
import json, os
inputs = json.load(open(os.path.join(os.environ["VH_CONFIG_DIR"], "inputs.json")))
payload = json.load(open(inputs["labels"]["files"][0]["path"]))
out = os.environ["VH_OUTPUTS_DIR"]
os.makedirs(os.path.join(out, "sets"), exist_ok=True)
with open(os.path.join(out, "sets", "train.csv"), "w") as f:
    f.write("\\n".join(payload["items"]) + "\\n")
with open(os.path.join(out, "ignored.log"), "w") as f:
    f.write("not handed over\\n")
print("preparing", len(payload["items"]), "items")
print(json.dumps({"item_count": len(payload["items"]), "dataset": payload["dataset"]}))
`;

const TRAIN_PY = `
import json, os, sys
inputs = json.load(open(os.path.join(os.environ["VH_CONFIG_DIR"], "inputs.json")))
params = json.load(open(os.path.join(os.environ["VH_CONFIG_DIR"], "parameters.json")))
files = inputs["dataset"]["files"]
rows = open(files[0]["path"]).read().split()
print(json.dumps({"files": [f["name"] for f in files], "rows": rows, "params": params, "argv": sys.argv[1:]}))
`;

const VALOHAI = `
- step:
    name: prepare
    image: python:3.12
    command: python3 prepare.py
    inputs:
      - name: labels
- step:
    name: train
    image: python:3.12
    command: python3 train.py {parameters}
    parameters:
      - {name: epochs, type: integer, default: 1}
      - {name: item-count, type: integer, default: 0}
      - {name: learning-rate, type: float, default: 0.1}
    inputs:
      - name: dataset
- step:
    name: fail
    image: busybox
    command: exit 7
- step:
    name: ok
    image: busybox
    command: sleep 0.2; echo fine
    inputs:
      - {name: none, optional: true}
- pipeline:
    name: train-on-labels
    parameters:
      - name: epochs
        target: train.parameter.epochs
        default: 5
    nodes:
      - {name: prepare, type: execution, step: prepare}
      - {name: train, type: execution, step: train}
    edges:
      - [prepare.output.*.csv, train.input.dataset]
      - [prepare.metadata.item_count, train.parameter.item-count]
- pipeline:
    name: stop-all
    nodes:
      - {name: a, type: execution, step: fail, on-error: stop-all}
      - {name: b, type: execution, step: ok}
      - {name: c, type: execution, step: ok}
    edges:
      - [a.output.*, c.input.none]
- pipeline:
    name: stop-next
    nodes:
      - {name: a, type: execution, step: fail, on-error: stop-next}
      - {name: b, type: execution, step: ok}
      - {name: independent, type: execution, step: ok}
    edges:
      - [a.output.*, b.input.none]
- pipeline:
    name: continue
    nodes:
      - {name: a, type: execution, step: fail, on-error: continue}
      - {name: b, type: execution, step: ok}
    edges:
      - [a.output.*, b.input.none]
`;

async function launch(t: TestService, body: unknown): Promise<RunRecord> {
  const res = await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  const { run_id } = (await res.json()) as { run_id: string };
  await t.service.settled();
  return (await t.service.store.getRun(run_id))!;
}

function stdoutOf(t: TestService, executionId: string): Promise<string> {
  return t.service.store.executionLog(executionId).then((log) => log.filter((c) => c.stream === 'stdout').map((c) => c.text).join(''));
}

describe('local pipelines', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('hands the payload to node 1, its output file and metadata to node 2', async () => {
    const config = `
triggers:
  - id: ${TRIGGER}
    actions:
      - type: run-pipeline
        pipeline: train-on-labels
        payload_input: prepare.labels
        parameters:
          train.learning-rate: 0.25
`;
    t = await startTestService(VALOHAI, config, { files: { 'prepare.py': PREPARE_PY, 'train.py': TRAIN_PY } });
    const run = await launch(t, { dataset: 'cats', items: ['a.jpg', 'b.jpg', 'c.jpg'] });
    expect(run.pipelines).toHaveLength(1);
    expect(run.pipelines[0]).toMatchObject({ status: 'complete', spec: { pipeline: 'train-on-labels' } });
    const byNode = new Map(run.executions.map((e) => [e.spec.node, e]));
    expect(byNode.get('prepare')!.status).toBe('complete');
    expect(byNode.get('train')!.status).toBe('complete');
    expect(byNode.get('train')!.startedAtMs!).toBeGreaterThanOrEqual(byNode.get('prepare')!.endedAtMs!);
    const trained = JSON.parse(await stdoutOf(t, byNode.get('train')!.id)) as Record<string, unknown>;
    expect(trained).toEqual({
      files: ['train.csv'],
      rows: ['a.jpg', 'b.jpg', 'c.jpg'],
      params: { epochs: 5, 'item-count': 3, 'learning-rate': 0.25 },
      argv: ['--epochs=5', '--item-count=3', '--learning-rate=0.25'],
    });
    const inputs = JSON.parse(readFileSync(join(t.project.dir, 'executions', byNode.get('train')!.id, 'config', 'inputs.json'), 'utf8')) as Record<string, { files: Array<{ uri: string }> }>;
    expect(inputs.dataset!.files[0]!.uri).toMatch(/^file:\/\/.*\/outputs\/sets\/train\.csv$/);

    const info = await fetch(`${t.url(TRIGGER, 'run/')}?run_id=${run.runId}`);
    expect(await info.json()).toEqual({
      status: 'completed',
      result: [{ action: 'run_pipeline', pipeline: 'train-on-labels', pipeline_id: run.pipelines[0]!.id, pipeline_status: 'complete' }],
    });
  });

  const policies: Array<[string, Record<string, string>, string]> = [
    ['stop-all', { a: 'error', b: 'cancelled|complete', c: 'cancelled' }, 'error'],
    ['stop-next', { a: 'error', b: 'cancelled', independent: 'complete' }, 'error'],
    ['continue', { a: 'error', b: 'complete' }, 'error'],
  ];
  it.each(policies)('honours on-error: %s', async (pipeline, expected, status) => {
    t = await startTestService(VALOHAI, `triggers:\n  - id: ${TRIGGER}\n    actions: [{type: run-pipeline, pipeline: ${pipeline}}]\n`, { files: { 'prepare.py': PREPARE_PY, 'train.py': TRAIN_PY } });
    const run = await launch(t, {});
    expect(run.pipelines[0]!.status).toBe(status);
    for (const [node, statuses] of Object.entries(expected)) {
      const execution = run.executions.find((e) => e.spec.node === node);
      expect(statuses.split('|'), `node ${node}`).toContain(execution?.status);
    }
    const info = (await (await fetch(`${t.url(TRIGGER, 'run/')}?run_id=${run.runId}`)).json()) as { status: string };
    expect(info.status).toBe('error');
  });

  it('resumes a pipeline after a restart between its nodes', async () => {
    const config = `triggers:\n  - id: ${TRIGGER}\n    actions: [{type: run-pipeline, pipeline: train-on-labels, payload_input: prepare.labels}]\n`;
    t = await startTestService(VALOHAI, config, { files: { 'prepare.py': PREPARE_PY, 'train.py': TRAIN_PY } });
    const first = await launch(t, { dataset: 'd', items: ['x', 'y'] });
    const train = first.executions.find((e) => e.spec.node === 'train')!;
    // Rewind the store to the moment node 1 had finished and node 2 did not exist yet.
    await t.service.close();
    const db = new Database(join(t.project.dir, 'state.db'));
    db.prepare('DELETE FROM executions WHERE execution_id = ?').run(train.id);
    db.prepare('DELETE FROM execution_logs WHERE execution_id = ?').run(train.id);
    db.prepare("UPDATE pipelines SET status = 'started', ended_at = NULL").run();
    db.close();
    await t.restart();
    await t.service.settled();
    const run = (await t.service.store.getRun(first.runId))!;
    expect(run.pipelines[0]!.status).toBe('complete');
    expect(run.executions.map((e) => [e.spec.node, e.status])).toEqual([
      ['prepare', 'complete'],
      ['train', 'complete'],
    ]);
    const trained = JSON.parse(await stdoutOf(t, train.id)) as { rows: string[]; params: Record<string, number> };
    expect(trained.rows).toEqual(['x', 'y']);
    expect(trained.params['item-count']).toBe(2);
  });
});
