/**
 * V7 Darwin through the real server: both bodies V7 posts (webhook stage, team webhook), the
 * empty 2xx V7 asks for, and the generated Python parser reading what was launched.
 * Bodies: test/fixtures/v7 (see its README for the V7 doc pages they come from).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../helpers/service.js';
import { v7SignedRequest } from '../../helpers/provider-requests.js';

const fixtures = join(import.meta.dirname, '../../fixtures/v7');
const teamWebhook = readFileSync(join(fixtures, 'team-workflow-complete.json'), 'utf8');
const stageItem = readFileSync(join(fixtures, 'labeling-complete.json'), 'utf8');
const metadataOnly = readFileSync(join(fixtures, 'stage-metadata-only.json'), 'utf8');
const parserDir = resolve(import.meta.dirname, '../../../templates/v7-train');

const SIGNED = '0190fe82-0000-7000-8000-0000000007a1';
const STAGE = '0190fe82-0000-7000-8000-0000000007a2';
const SIGNING_KEY = 'v7-team-signing-key';
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The launched step loads its payload input with the committed generated parser (stdlib only)
// and writes what it understood; sys.dont_write_bytecode keeps templates/ free of __pycache__.
const DESCRIBE = `
import json, os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, ${JSON.stringify(parserDir)})
import v7_payload
p = v7_payload.load("payload")
if isinstance(p, v7_payload.TeamWebhook):
    seen = {"type": "TeamWebhook", "event_type": p.event_type, "dataset_id": p.payload.dataset_id, "filename": p.payload.filename, "classes": [a.class_name for a in p.payload.annotations or []]}
else:
    seen = {"type": type(p).__name__, "item_id": p.item.source_info.item_id}
with open(os.path.join(os.environ["VH_OUTPUTS_DIR"], "seen.json"), "w") as f:
    json.dump(seen, f)
`;

/** What V7 sends for a team webhook: v7-signature t=,v1= over "{t}.{body}" (the assumed, unverified string). */
function signedTeamWebhook(body: string, key = SIGNING_KEY): RequestInit {
  const signed = v7SignedRequest(body, key, Math.floor(Date.now() / 1000));
  return { method: 'POST', headers: signed.headers, body: signed.body };
}

function stageDelivery(body: string): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer stage-token' }, body };
}

describe('V7 connector end to end', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(
      '- step: {name: describe, image: python:3.12, command: python3 describe.py, inputs: [{name: payload}]}\n',
      `
triggers:
  - id: ${SIGNED}
    connector: {type: v7, mode: signed, secret: ${SIGNING_KEY}, datasets: ["1"]}
    actions: [{type: run-execution, step: describe, payload_input: payload}]
  - id: ${STAGE}
    connector: {type: v7, secret: stage-token, prefix: "Bearer ", datasets: [cars]}
    actions: [{type: run-execution, step: describe, payload_input: payload}]
`,
      { files: { 'describe.py': DESCRIBE } },
    );
  });
  afterAll(() => t.close());

  const seenBy = async (runId: string) => {
    await t.service.settled();
    const run = (await t.service.store.getRun(runId))!;
    expect(run.executions[0]).toMatchObject({ status: 'complete' });
    return JSON.parse(readFileSync(join(t.project.dir, 'executions', run.executions[0]!.id, 'outputs', 'seen.json'), 'utf8')) as Record<string, unknown>;
  };

  it("accepts V7's documented team webhook with an empty 2xx, and the generated parser loads it as a TeamWebhook", async () => {
    const res = await fetch(t.url(SIGNED), signedTeamWebhook(teamWebhook));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const runId = res.headers.get('x-hooklaunch-run-id')!;
    expect(runId).toMatch(RUN_ID);
    expect(await seenBy(runId)).toEqual({ type: 'TeamWebhook', event_type: 'workflow_complete', dataset_id: 1, filename: 'letter.png', classes: ['FROM'] });
  });

  it('answers a team webhook from another dataset with an empty 2xx, launching nothing', async () => {
    const res = await fetch(t.url(SIGNED), signedTeamWebhook(teamWebhook.replace('"dataset_id": 1', '"dataset_id": 2')));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(res.headers.get('x-hooklaunch-run-id')).toBeNull();
    const [entry] = await t.service.store.listLog({ triggerId: SIGNED, limit: 1 });
    expect(entry).toMatchObject({ outcome: 'ignored', code: 'filtered_out', message: 'dataset 2 is not one of 1' });
  });

  it('still refuses a team webhook signed with another key', async () => {
    const res = await fetch(t.url(SIGNED), signedTeamWebhook(teamWebhook, 'not-the-key'));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'signature_mismatch' } });
  });

  it('answers a stage delivery, and its repeat, with an empty 2xx carrying the same run id', async () => {
    const first = await fetch(t.url(STAGE), stageDelivery(stageItem));
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('');
    const again = await fetch(t.url(STAGE), stageDelivery(stageItem));
    expect(again.status).toBe(200);
    expect(await again.text()).toBe('');
    expect(again.headers.get('x-hooklaunch-run-id')).toBe(first.headers.get('x-hooklaunch-run-id'));
    const log = await t.service.store.listLog({ triggerId: STAGE, limit: 2 });
    expect(log.map((e) => e.outcome)).toEqual(['duplicate', 'accepted']);
    expect(await seenBy(first.headers.get('x-hooklaunch-run-id')!)).toEqual({ type: 'StageDelivery', item_id: '0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e5f' });
  });

  it('accepts a stage delivery that carries nothing beyond the item id and its dataset (nulls included)', async () => {
    const res = await fetch(t.url(STAGE), stageDelivery(metadataOnly));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(await seenBy(res.headers.get('x-hooklaunch-run-id')!)).toEqual({ type: 'StageDelivery', item_id: '0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e60' });
  });

  it('refuses a stage delivery without its item id, naming that field and only it', async () => {
    const res = await fetch(t.url(STAGE), stageDelivery(JSON.stringify({ item: { source_info: { dataset: { slug: 'cars' } } } })));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('payload_invalid');
    expect(error.message).toMatch(/^not a V7 webhook-stage delivery: item\.source_info\.item_id: /);
  });
});
