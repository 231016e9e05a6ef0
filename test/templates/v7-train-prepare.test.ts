/**
 * templates/v7-train/prepare.py on a batch run's input (issue #17): the `annotations` input holds
 * batch.jsonl + index.json (written by test/helpers/batch-input.ts as the batching design lays it
 * out) built from the real V7 bodies in test/fixtures/v7; labels.csv holds the rows of every item
 * in arrival order, and each stage item's files are fetched from a stand-in V7 on 127.0.0.1.
 * The template's batch key finds the dataset slug where V7's stage deliveries carry it.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { renderTemplate } from '../../core/request/payload-template.js';
import { writeBatchInput } from '../helpers/batch-input.js';

const run = promisify(execFile);
const TEMPLATE = resolve(import.meta.dirname, '../../templates/v7-train');
const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/v7', name), 'utf8')) as Record<string, unknown>;
const scratch = mkdtempSync(join(tmpdir(), 'hooklaunch-v7-prepare-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Stage = { item: { name: string; source_info: Record<string, unknown>; slots: Array<{ source_files: Array<{ file_name: string; url: string }> }> }; annotations: unknown[] };
const STAGE = fixture('labeling-complete.json') as unknown as Stage;
const TEAM = fixture('team-workflow-complete.json');
const METADATA_ONLY = fixture('stage-metadata-only.json');

/** The stage fixture as another item of the dataset: its own id, name, file URL and annotations. */
function stageItem(itemId: string, name: string, url: string, annotations: unknown[]): Stage {
  return {
    ...STAGE,
    item: { ...STAGE.item, name, source_info: { ...STAGE.item.source_info, item_id: itemId }, slots: [{ ...STAGE.item.slots[0]!, source_files: [{ file_name: name, url }] }] },
    annotations,
  };
}

async function prepare(label: string, payloads: unknown[], env: Record<string, string>): Promise<{ outputs: string; csv: string[][]; stdout: string }> {
  const root = join(scratch, label);
  writeBatchInput(join(root, 'inputs', 'annotations'), payloads.map((p) => ({ body: JSON.stringify(p) })));
  const outputs = join(root, 'outputs');
  const { stdout } = await run('python3', ['-B', join(TEMPLATE, 'prepare.py')], { cwd: root, env: { PATH: process.env.PATH ?? '', VH_INPUTS_DIR: join(root, 'inputs'), VH_OUTPUTS_DIR: outputs, ...env }, timeout: 30_000 });
  const csv = readFileSync(join(outputs, 'labels.csv'), 'utf8').trim().split('\r\n').map((line) => line.split(','));
  return { outputs, csv, stdout };
}

const HEADER = ['item', 'dataset', 'label', 'x', 'y', 'w', 'h'];
const WHEEL_3 = { id: 'b1', name: 'wheel', bounding_box: { x: 5, y: 6, w: 7, h: 8 }, slot_names: ['0'] };

describe('prepare.py on a batch', () => {
  it('writes the rows of every item in arrival order, stage deliveries and team webhooks alike', async () => {
    const third = stageItem('0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e61', 'car-0003.jpg', 'https://darwin.v7labs.com/api/v2/teams/acme-ml/files/c3/original', [WHEEL_3]);
    const { csv, stdout } = await prepare('order', [STAGE, TEAM, third, METADATA_ONLY], { V7_SKIP_DOWNLOAD: '1' });
    expect(csv).toEqual([
      HEADER,
      ['car-0001.jpg', 'cars', 'car', '10', '20', '300', '200'],
      ['car-0001.jpg', 'cars', 'wheel', '40', '180', '60', '60'],
      ['letter.png', '1', 'FROM', '455', '300', '100', '20'],
      ['car-0003.jpg', 'cars', 'wheel', '5', '6', '7', '8'],
    ]);
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ class_count: 3, annotation_count: 4, item_count: 4, file_count: 0 });
    expect(stdout).toContain('V7_SKIP_DOWNLOAD=1: not fetching the files of 2 items');
  });

  it('an item labelled again within the batch counts once, with its latest annotations', async () => {
    const relabelled = { ...STAGE, annotations: [WHEEL_3] };
    const { csv } = await prepare('rework', [STAGE, TEAM, relabelled], { V7_SKIP_DOWNLOAD: '1' });
    expect(csv).toEqual([HEADER, ['letter.png', '1', 'FROM', '455', '300', '100', '20'], ['car-0001.jpg', 'cars', 'wheel', '5', '6', '7', '8']]);
  });

  describe('fetching the labelled files', () => {
    const seen: Array<{ path: string; authorization: string | undefined }> = [];
    let base = '';
    const server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      // V7's file URL redirects to a presigned storage URL (connectors/v7/parser-helpers.ts).
      const file = /^\/api\/v2\/teams\/acme-ml\/files\/([a-z0-9]+)\/original$/.exec(req.url ?? '')?.[1];
      if (file) res.writeHead(302, { location: `/storage/${file}?sig=1` }).end();
      else if (req.url?.startsWith('/storage/')) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(`JPEG ${req.url.split('/')[2]!.split('?')[0]}`);
      else res.writeHead(404).end();
    });
    beforeAll(async () => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("puts each stage item's files under outputs/items/<item id>/, asking V7 with the API key", async () => {
      const one = stageItem('0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e5f', 'car-0001.jpg', `${base}/api/v2/teams/acme-ml/files/f1/original`, STAGE.annotations);
      const two = stageItem('0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e61', 'car-0001.jpg', `${base}/api/v2/teams/acme-ml/files/f2/original`, [WHEEL_3]);
      const { outputs, stdout } = await prepare('download', [one, TEAM, two, METADATA_ONLY], { V7_API_KEY: 'v7-test-key' });
      // Two items with the same file name stay apart: one folder per item id.
      expect(readFileSync(join(outputs, 'items', '0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e5f', 'car-0001.jpg'), 'utf8')).toBe('JPEG f1');
      expect(readFileSync(join(outputs, 'items', '0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e61', 'car-0001.jpg'), 'utf8')).toBe('JPEG f2');
      expect(seen.filter((s) => s.path.startsWith('/api/')).map((s) => s.authorization)).toEqual(['ApiKey v7-test-key', 'ApiKey v7-test-key']);
      // The presigned storage URL carries its own signature: the key never goes there.
      expect(seen.filter((s) => s.path.startsWith('/storage/')).map((s) => s.authorization)).toEqual([undefined, undefined]);
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ item_count: 4, file_count: 2 });
    });

    it('without V7_API_KEY it stops before any request and says what to set; nothing to fetch needs no key', async () => {
      const before = seen.length;
      const one = stageItem('i-1', 'car.jpg', `${base}/api/v2/teams/acme-ml/files/f1/original`, STAGE.annotations);
      const failed = await prepare('no-key', [one], {}).catch((error: { code: number; stderr: string }) => error);
      expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('V7_API_KEY is not set') });
      expect(seen.length).toBe(before);
      const { outputs, csv } = await prepare('no-files', [TEAM, METADATA_ONLY], {});
      expect(csv).toEqual([HEADER, ['letter.png', '1', 'FROM', '455', '300', '100', '20']]);
      expect(existsSync(join(outputs, 'items'))).toBe(false);
    });
  });
});

describe("hooklaunch.yaml's batch block", () => {
  const config = parseYaml(readFileSync(join(TEMPLATE, 'hooklaunch.yaml'), 'utf8')) as { triggers: Array<{ batch: { key: string; window: number; quiet: number; max_items: number } }> };
  const { batch } = config.triggers[0]!;

  it('batches on the dataset slug of a stage delivery, the same value the datasets filter matches', () => {
    const key = (payload: unknown) => renderTemplate(batch.key, { payload: () => ({ ok: true, value: payload }), runId: 'r' }, 'batch.key');
    expect(key(STAGE)).toEqual({ ok: true, value: 'cars' });
    expect(key(METADATA_ONLY)).toEqual({ ok: true, value: 'cars' });
    const bikes = { ...STAGE, item: { ...STAGE.item, source_info: { ...STAGE.item.source_info, dataset: { name: 'Bikes', slug: 'bikes' } } } };
    expect(key(bikes)).toEqual({ ok: true, value: 'bikes' });
    expect({ window: batch.window, quiet: batch.quiet, max_items: batch.max_items }).toEqual({ window: 600, quiet: 120, max_items: 500 });
  });
});
