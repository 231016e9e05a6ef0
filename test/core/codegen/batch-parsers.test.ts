/**
 * `load_batch()` / `loadBatch()` in every generated parser (issue #17): a batch run's payload
 * input (batch.jsonl + index.json in $VH_INPUTS_DIR/<input>/, written by test/helpers/batch-input.ts
 * the way the batching design lays it out) comes back as typed items in arrival order, each parsed
 * like one delivery, with errors naming the line; `load()` on a batch input says to use load_batch.
 * The Python parsers run in python3, the TypeScript ones are imported as they are committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTriggerParser } from '../../../core/codegen/generate-parser.js';
import { inferSchema } from '../../../core/codegen/infer-schema.js';
import { writeBatchInput, type BatchDelivery } from '../../helpers/batch-input.js';
import { CUSTOM_APP_PAYLOADS } from '../../helpers/codegen.js';
import { slashCommandBody } from '../../helpers/provider-requests.js';

const templates = resolve(import.meta.dirname, '../../../templates');
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../fixtures/v7', name), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'hooklaunch-batch-parsers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Real V7 bodies (test/fixtures/v7/README.md): two webhook-stage deliveries and a team webhook.
const STAGE = fixture('labeling-complete.json');
const METADATA_ONLY = fixture('stage-metadata-only.json');
const TEAM = fixture('team-workflow-complete.json');
const V7_GOOD: BatchDelivery[] = [{ body: STAGE }, { body: TEAM }, { body: METADATA_ONLY }];
// The third delivery has lost its item id, which every stage delivery carries.
const V7_BAD_THIRD: BatchDelivery[] = [{ body: STAGE }, { body: METADATA_ONLY }, { body: STAGE.replace('"item_id": "0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e5f",', '') }];

/** An execution's inputs folder holding the batch as input `name`; returns $VH_INPUTS_DIR. */
function batchExecution(label: string, deliveries: BatchDelivery[], name = 'annotations'): string {
  const inputs = join(scratch, label, 'inputs');
  writeBatchInput(join(inputs, name), deliveries);
  return inputs;
}

function python(dir: string, script: string, env: Record<string, string>): unknown {
  const out = execFileSync('python3', ['-I', '-B', '-c', `import json, sys\nsys.path.insert(0, ${JSON.stringify(dir)})\n${script}`], { cwd: scratch, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** Runs fn with the given environment variables set (and then restored) in this process. */
function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    return fn();
  } finally {
    set(previous);
  }
}

interface TsBatch {
  items: Array<Record<string, unknown>>;
  index: { batch_id: string; key?: string; run_id: string; close_reason: string; items: Array<{ position: number; request_id: string; sha256: string; size_bytes: number }> };
  batchId: string;
  key: string | undefined;
}
interface TsParser {
  loadBatch: (name?: string) => TsBatch;
  loadBatchDir: (dir: string) => TsBatch;
  loadPayload: (name?: string) => unknown;
  PayloadError: new (message: string) => Error;
}

const PY_SUMMARY = `
batch = p.load_batch("annotations")
def describe(item):
    if isinstance(item, p.TeamWebhook):
        return ["TeamWebhook", item.payload.filename, len(item.payload.annotations or [])]
    return ["StageDelivery", item.item.name, len(item.annotations or [])]
print(json.dumps({"items": [describe(i) for i in batch.items], "batch_id": batch.batch_id, "key": batch.key,
                  "run_id": batch.index["run_id"], "close_reason": batch.index["close_reason"],
                  "index": [[e["position"], e["request_id"], e["sha256"], e["size_bytes"]] for e in batch.index["items"]]}))
`;

describe('V7 parser: load_batch / loadBatch', () => {
  const expectedItems = [
    ['StageDelivery', 'car-0001.jpg', 2],
    ['TeamWebhook', 'letter.png', 1],
    ['StageDelivery', 'car-0002.jpg', 0],
  ];

  it('Python: typed items in arrival order, with the index', () => {
    const inputs = batchExecution('v7-py', V7_GOOD);
    const index = JSON.parse(readFileSync(join(inputs, 'annotations', 'index.json'), 'utf8')) as { items: Array<{ sha256: string; size_bytes: number }> };
    const result = python(join(templates, 'v7-train'), `import v7_payload as p\n${PY_SUMMARY}`, { VH_INPUTS_DIR: inputs });
    expect(result).toEqual({
      items: expectedItems,
      batch_id: 'b-0190fe82-0000-7000-8000-000000000001',
      key: 'cars',
      run_id: 'r-0190fe82-0000-7000-8000-000000000001',
      close_reason: 'window',
      index: index.items.map((e, i) => [i + 1, `req-000${i + 1}`, e.sha256, e.size_bytes]),
    });
  });

  it('TypeScript: the same items, order and index', async () => {
    const inputs = batchExecution('v7-ts', V7_GOOD);
    const parser = (await import(join(templates, 'v7-train', 'v7-payload.ts'))) as TsParser;
    const batch = withEnv({ VH_INPUTS_DIR: inputs }, () => parser.loadBatch('annotations'));
    const describe = (item: Record<string, unknown>) => {
      const stage = item.item as { name: string } | undefined;
      if (stage) return ['StageDelivery', stage.name, ((item.annotations as unknown[] | undefined) ?? []).length];
      const team = item.payload as { filename: string; annotations: unknown[] };
      return ['TeamWebhook', team.filename, team.annotations.length];
    };
    expect(batch.items.map(describe)).toEqual(expectedItems);
    expect([batch.batchId, batch.key, batch.index.run_id, batch.index.close_reason]).toEqual(['b-0190fe82-0000-7000-8000-000000000001', 'cars', 'r-0190fe82-0000-7000-8000-000000000001', 'window']);
    expect(batch.index.items.map((e) => [e.position, e.request_id])).toEqual([
      [1, 'req-0001'],
      [2, 'req-0002'],
      [3, 'req-0003'],
    ]);
  });

  it('a bad line is a PayloadError naming the line and the field, in both languages', async () => {
    const inputs = batchExecution('v7-bad', V7_BAD_THIRD);
    const error = python(join(templates, 'v7-train'), 'import v7_payload as p\ntry:\n    p.load_batch("annotations")\nexcept p.PayloadError as e:\n    print(json.dumps(str(e)))', { VH_INPUTS_DIR: inputs }) as string;
    expect(error).toMatch(/^batch\.jsonl line 3: payload: /);
    expect(error).toContain('payload.item.source_info.item_id: required field is missing');
    const parser = (await import(join(templates, 'v7-train', 'v7-payload.ts'))) as TsParser;
    const thrown = (() => {
      try {
        parser.loadBatchDir(join(inputs, 'annotations'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(parser.PayloadError);
    expect((thrown as Error).message).toMatch(/^batch\.jsonl line 3: payload: /);
    expect((thrown as Error).message).toContain('payload.item.source_info.item_id: required field is missing');
  });

  it('a batch.jsonl and an index.json that disagree on the count are refused', async () => {
    const inputs = batchExecution('v7-short', V7_GOOD);
    const lines = join(inputs, 'annotations', 'batch.jsonl');
    writeFileSync(lines, readFileSync(lines, 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
    const error = python(join(templates, 'v7-train'), 'import v7_payload as p\ntry:\n    p.load_batch("annotations")\nexcept p.PayloadError as e:\n    print(json.dumps(str(e)))', { VH_INPUTS_DIR: inputs });
    expect(error).toBe('batch.jsonl has 2 lines, index.json lists 3 items');
    const parser = (await import(join(templates, 'v7-train', 'v7-payload.ts'))) as TsParser;
    expect(() => parser.loadBatchDir(join(inputs, 'annotations'))).toThrow('batch.jsonl has 2 lines, index.json lists 3 items');
  });
});

describe('load() on a batch input, load_batch() on a single one', () => {
  // As the local runner lays a batch out: both files in inputs/<name>/, listed in inputs.json.
  function listed(label: string): { inputs: string; config: string } {
    const inputs = batchExecution(label, V7_GOOD);
    const config = join(scratch, label, 'config');
    mkdirSync(config, { recursive: true });
    const files = ['batch.jsonl', 'index.json'].map((name) => ({ name, path: join(inputs, 'annotations', name) }));
    writeFileSync(join(config, 'inputs.json'), JSON.stringify({ annotations: { files } }));
    return { inputs, config };
  }
  const LOAD = 'import v7_payload as p\ntry:\n    p.load("annotations")\nexcept p.PayloadError as e:\n    print(json.dumps(str(e)))';

  it('Python load() points to load_batch, whether inputs.json lists the batch files or not', () => {
    const { inputs, config } = listed('load-py');
    const message = "input 'annotations' is a batch (batch.jsonl and index.json), not one delivery: read it with load_batch('annotations')";
    expect(python(join(templates, 'v7-train'), LOAD, { VH_INPUTS_DIR: inputs, VH_CONFIG_DIR: config })).toBe(message);
    expect(python(join(templates, 'v7-train'), LOAD, { VH_INPUTS_DIR: inputs, VH_CONFIG_DIR: join(scratch, 'nowhere') })).toBe(message);
  });

  it('TypeScript loadPayload() points to loadBatch', async () => {
    const { inputs, config } = listed('load-ts');
    const parser = (await import(join(templates, 'v7-train', 'v7-payload.ts'))) as TsParser;
    const message = 'input "annotations" is a batch (batch.jsonl and index.json), not one delivery: read it with loadBatch("annotations")';
    expect(() => withEnv({ VH_INPUTS_DIR: inputs, VH_CONFIG_DIR: config }, () => parser.loadPayload('annotations'))).toThrow(message);
    expect(() => withEnv({ VH_INPUTS_DIR: inputs, VH_CONFIG_DIR: join(scratch, 'nowhere') }, () => parser.loadPayload('annotations'))).toThrow(message);
  });

  it('load_batch() on an input without batch.jsonl says it holds no batch and how to read one delivery', async () => {
    const inputs = join(scratch, 'single', 'inputs');
    mkdirSync(join(inputs, 'annotations'), { recursive: true });
    writeFileSync(join(inputs, 'annotations', 'payload.json'), STAGE);
    const where = join(inputs, 'annotations', 'batch.jsonl');
    const error = python(join(templates, 'v7-train'), 'import v7_payload as p\ntry:\n    p.load_batch("annotations")\nexcept p.PayloadError as e:\n    print(json.dumps(str(e)))', { VH_INPUTS_DIR: inputs });
    expect(error).toBe(`input 'annotations' holds no batch: ${where} does not exist (one delivery is read with load('annotations'))`);
    const parser = (await import(join(templates, 'v7-train', 'v7-payload.ts'))) as TsParser;
    expect(() => withEnv({ VH_INPUTS_DIR: inputs }, () => parser.loadBatch('annotations'))).toThrow(`input "annotations" holds no batch: ${where} does not exist`);
  });
});

describe('bodies that are not JSON, and every generated parser', () => {
  it("Slack: a form-encoded slash command (a JSON string line) and a JSON event parse as they would alone", async () => {
    const deliveries: BatchDelivery[] = [
      { body: slashCommandBody({ text: 'https://x.test/a.png' }), contentType: 'application/x-www-form-urlencoded' },
      { body: JSON.stringify({ type: 'event_callback', event_id: 'Ev1', team_id: 'T1', event: { type: 'app_mention', text: 'hi' } }) },
    ];
    const inputs = batchExecution('slack', deliveries, 'payload');
    expect(readFileSync(join(inputs, 'payload', 'batch.jsonl'), 'utf8').split('\n')[0]).toMatch(/^"token=/);
    const result = python(join(templates, 'slack-predict'), 'import slack_payload as p\nb = p.load_batch()\nprint(json.dumps([type(i).__name__ for i in b.items] + [b.items[0].text]))', { VH_INPUTS_DIR: inputs });
    expect(result).toEqual(['SlashCommand', 'EventCallback', 'https://x.test/a.png']);
    const parser = (await import(join(templates, 'slack-predict', 'slack-payload.ts'))) as TsParser;
    const batch = withEnv({ VH_INPUTS_DIR: inputs }, () => parser.loadBatch());
    expect([batch.items[0]!.text, batch.items[1]!.event_id]).toEqual(['https://x.test/a.png', 'Ev1']);
  });

  it('GitHub: a push batch', async () => {
    const push = { ref: 'refs/heads/main', after: 'a'.repeat(40), repository: { id: 1, name: 'r', full_name: 'o/r' } };
    const inputs = batchExecution('github', [{ body: JSON.stringify(push) }, { body: JSON.stringify({ ...push, after: 'b'.repeat(40) }) }], 'payload');
    expect(python(join(templates, 'github-autofetch'), 'import github_payload as p\nprint(json.dumps([i.after[0] for i in p.load_batch().items]))', { VH_INPUTS_DIR: inputs })).toEqual(['a', 'b']);
    const parser = (await import(join(templates, 'github-autofetch', 'github-payload.ts'))) as TsParser;
    expect(withEnv({ VH_INPUTS_DIR: inputs }, () => parser.loadBatch()).items.map((i) => (i.after as string)[0])).toEqual(['a', 'b']);
  });

  it('a codegen --trigger parser; a line holding U+2028 stays one line', async () => {
    const out = join(scratch, 'trigger-parser');
    mkdirSync(out, { recursive: true });
    const spec = { baseName: 'custom-app-payload', triggerId: 't', triggerTitle: 'Custom app', schema: inferSchema(CUSTOM_APP_PAYLOADS), schemaSource: 'inferred', regenerate: 'hooklaunch codegen --trigger t --out x' };
    for (const language of ['python', 'typescript'] as const) {
      const generated = generateTriggerParser(spec, language);
      writeFileSync(join(out, generated.filename), generated.content);
    }
    // Python's str.splitlines() would cut this body in two; JSON.stringify writes U+2028 as it is.
    const payloads = [CUSTOM_APP_PAYLOADS[0], { ...CUSTOM_APP_PAYLOADS[1], user: { id: 7, email: 'line\u2028separator@example.com' } }, CUSTOM_APP_PAYLOADS[2]];
    const inputs = batchExecution('trigger', payloads.map((p) => ({ body: JSON.stringify(p) })), 'payload');
    expect(readFileSync(join(inputs, 'payload', 'batch.jsonl'), 'utf8')).toContain('\u2028');
    const result = python(out, 'import custom_app_payload as p\nb = p.load_batch()\nprint(json.dumps([[i.user.id, i.data.file_url] for i in b.items] + [b.items[1].user.email]))', { VH_INPUTS_DIR: inputs });
    expect(result).toEqual([[42, 'https://files.example.com/a.csv'], [7, 'https://files.example.com/b.csv'], ['svc-bot', 'https://files.example.com/c.csv'], 'line\u2028separator@example.com']);
    const parser = (await import(join(out, 'custom-app-payload.ts'))) as TsParser;
    const batch = withEnv({ VH_INPUTS_DIR: inputs }, () => parser.loadBatch());
    expect(batch.items.map((i) => (i.user as { id: unknown }).id)).toEqual([42, 7, 'svc-bot']);
  });
});
