/**
 * What a request without credentials may cost (issue #11, point 1): a body sample and capped
 * headers, identical rejections aggregated, a budget past which they are only counted, and
 * retention on by default. Authenticated work is never refused for it.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { signHmac } from '../../core/conditions/hmac.js';
import { tempProject } from '../helpers/project.js';
import { startTestService, type TestService } from '../helpers/service.js';

const HMAC = '0190fe82-0000-7000-8000-00000000c051';
const FILTERED = '0190fe82-0000-7000-8000-00000000c052';
const OPEN = '0190fe82-0000-7000-8000-00000000c053';
const OPEN_DEDUPE = '0190fe82-0000-7000-8000-00000000c054';
const TIMESTAMP_ONLY = '0190fe82-0000-7000-8000-00000000c055';
const SECRET = 'unauthenticated-cost-secret';
const ADMIN = 'admin-token-for-the-cost-tests';
const VALOHAI = '- step: {name: ok, image: x, command: "true", parameters: [{name: name, type: string, optional: true}]}\n';
const TRIGGERS = `
triggers:
  - id: ${HMAC}
    conditions: [{type: web-request-auth, auth_type: hmac, key: X-Signature, secret: ${SECRET}}]
    actions: [{type: run-execution, step: ok}]
  - id: ${FILTERED}
    conditions:
      - {type: web-request-auth, auth_type: static_token, key: X-Token, secret: filtered-token}
      - {type: payload-filter, lookup: kind, operation: equals, value: csv}
    actions: [{type: run-execution, step: ok}]
  - id: ${OPEN}
    conditions: [{type: payload-filter, lookup: kind, operation: equals, value: csv}]
    actions: [{type: run-execution, step: ok, parameters: {name: "{payload.name}"}}]
  - id: ${OPEN_DEDUPE}
    conditions: [{type: deduplicate, key: X-Id}]
    actions: [{type: run-execution, step: ok}]
  - id: ${TIMESTAMP_ONLY}
    conditions:
      - {type: timestamp, key: X-Timestamp}
      - {type: payload-filter, lookup: kind, operation: equals, value: csv}
    actions: [{type: run-execution, step: ok}]
`;
const MiB = 1024 * 1024;

/**
 * What the store holds: its pages as of the last commit, wherever they are. Adding the file sizes
 * would count a page twice once a checkpoint has copied it from the WAL into the database file
 * and before the WAL is started over.
 */
function storeBytes(t: TestService): number {
  const db = new Database(join(t.project.dir, 'state.db'), { readonly: true });
  try {
    return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  } finally {
    db.close();
  }
}

async function logOf(t: TestService, triggerId: string) {
  const response = await fetch(`${t.service.url}/api/v0/triggers/${triggerId}/logs/?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await response.json()) as { entries: Array<{ requestId: string; code?: string; outcome: string; repeats: number; sizeBytes: number }> }).entries;
}

const post = (t: TestService, triggerId: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(t.url(triggerId), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('the cost of unauthenticated requests', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('keeps a sample of forged 1 MiB bodies and aggregates identical rejections into one line', async () => {
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\n${TRIGGERS}`);
    const before = storeBytes(t);
    const forged = Buffer.alloc(MiB, 'a');
    for (let i = 0; i < 40; i++) {
      const response = await post(t, HMAC, forged, { 'x-signature': 'f'.repeat(64) });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('signature_mismatch');
    }
    const log = await logOf(t, HMAC);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ code: 'signature_mismatch', sizeBytes: MiB, repeats: 39 });
    // 40 MiB were sent; the store holds one 64 KiB sample and a line.
    expect(storeBytes(t) - before).toBeLessThan(2 * MiB);
  });

  it('aggregates floods to random trigger ids with large headers from one sender', async () => {
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\n${TRIGGERS}`);
    const before = storeBytes(t);
    for (let i = 0; i < 200; i++) {
      const response = await fetch(`${t.service.url}/api/v0/launch/random-${i}-${'x'.repeat(20)}/`, { method: 'POST', headers: { 'x-filler': 'y'.repeat(15_000) }, body: '{}' });
      expect(response.status).toBe(404);
    }
    const rows = (await t.service.store.listLog({ limit: 1000 })).filter((e) => e.code === 'trigger_not_found');
    expect(rows).toHaveLength(1);
    // The first line's headers are capped too: 15 KB of filler is not kept whole.
    expect(JSON.stringify(rows[0]!.headers).length).toBeLessThan(9 * 1024);
    expect(storeBytes(t) - before).toBeLessThan(MiB);
  });

  it('stops logging unauthenticated rejections past the budget, counts them, and still accepts signed work', async () => {
    const clock = fixedClock(Date.UTC(2026, 10, 28, 12));
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\ntrigger_log: {unauthenticated_max_bytes: 300000, aggregate_seconds: 1}\n${TRIGGERS}`, { clock });
    // Under 64 KiB, so each is read whole and kept whole (larger ones are checked as they stream
    // and not kept at all).
    const forged = Buffer.alloc(60_000, 'b');
    for (let i = 0; i < 10; i++) {
      clock.advance(1_001); // a new aggregation window each time: each would be a line of its own
      expect((await post(t, HMAC, forged, { 'x-signature': 'e'.repeat(64) })).status).toBe(400);
    }
    const log = await logOf(t, HMAC);
    // Each line costs its 60,000-byte body and its headers: four fit in 300,000 bytes.
    expect(log.length).toBe(4);
    const metrics = await (await fetch(`${t.service.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(metrics).toMatch(new RegExp(`hooklaunch_trigger_log_dropped_total\\{trigger="${HMAC}"\\} 6`));
    // Every rejection is still counted by outcome.
    expect(metrics).toMatch(new RegExp(`hooklaunch_requests_total\\{trigger="${HMAC}",outcome="rejected",code="signature_mismatch"\\} 10`));

    const body = '{"kind": "csv"}';
    const signed = await post(t, HMAC, body, { 'x-signature': signHmac({ secret: SECRET }, { body: Buffer.from(body) }) });
    expect(signed.status).toBe(200);
    expect((await logOf(t, HMAC)).filter((e) => e.outcome === 'accepted')).toHaveLength(1);
  });

  it('keeps the whole body of an authenticated rejection (replayable) and only a sample of an anonymous one (not)', async () => {
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\n${TRIGGERS}`);
    const big = JSON.stringify({ kind: 'parquet', rows: 'r'.repeat(200_000) });
    expect((await post(t, FILTERED, big, { 'x-token': 'filtered-token' })).status).toBe(400);
    expect((await post(t, OPEN, big)).status).toBe(400);
    const [authenticated] = await logOf(t, FILTERED);
    const [anonymous] = await logOf(t, OPEN);
    const stored = await t.service.store.getRequest(authenticated!.requestId);
    expect(stored!.raw.body!.length).toBe(big.length);
    expect(stored!.raw.truncated).toBe(false);
    const sample = await t.service.store.getRequest(anonymous!.requestId);
    expect(sample!.raw.body!.length).toBe(64 * 1024);
    expect(sample!.raw.truncated).toBe(true);

    const replay = (id: string) => fetch(`${t!.service.url}/api/v0/requests/${id}/replay/`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    const refused = await replay(anonymous!.requestId);
    expect(refused.status).toBe(409);
    const refusal = ((await refused.json()) as { error: { code: string; message: string } }).error;
    expect(refusal.message).toMatch(/only a sample of it was kept \(65536 of \d+ body bytes/);
    // Codes from the closed list in core/reject.ts, like every other refusal (issue 18).
    expect(refusal.code).toBe('not_replayable');
    const replayed = await replay(authenticated!.requestId);
    expect(((await replayed.json()) as { outcome: string; code: string }).code).toBe('filtered_out');
    const unknown = await replay('0190fe82-0000-7000-8000-0000000000ff');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('request_not_found');
    const noRoute = await fetch(`${t!.service.url}/api/v0/no-such-route/`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(noRoute.status).toBe(404);
    expect(((await noRoute.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });

  // Found by attacking the server from outside (issue #11): each of these once escaped the bounds.
  it('bounds a rejection message that quotes the payload, in the answer and the log', async () => {
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\n${TRIGGERS}`);
    const response = await post(t, OPEN, JSON.stringify({ kind: 'csv', name: { x: 'A'.repeat(2_000_000) } }));
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe('payload_invalid');
    expect(answer.error.message.length).toBeLessThan(600);
    const [line] = await logOf(t, OPEN);
    expect(JSON.stringify(line).length).toBeLessThan(4000);
  });

  it('keeps no body of repeated deliveries and aggregates them on a trigger anyone may send to', async () => {
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\n${TRIGGERS}`);
    const before = storeBytes(t);
    const big = JSON.stringify({ filler: 'f'.repeat(2 * MiB) });
    for (let i = 0; i < 30; i++) expect((await post(t, OPEN_DEDUPE, big, { 'x-id': 'same' })).status).toBe(200);
    const log = await logOf(t, OPEN_DEDUPE);
    expect(log.map((e) => [e.outcome, e.repeats])).toEqual([['duplicate', 28], ['accepted', 0]]);
    // One 2 MiB payload for the run; 29 repeats add next to nothing.
    expect(storeBytes(t) - before).toBeLessThan(3 * MiB);
    const duplicate = await t.service.store.getRequest(log[0]!.requestId);
    expect(duplicate!.raw.body!.length).toBe(big.length); // replays read the run's payload
  });

  it('treats a trigger that checks only a timestamp as anyone-may-send', async () => {
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\n${TRIGGERS}`);
    const before = storeBytes(t);
    const body = JSON.stringify({ kind: 'parquet', filler: 'f'.repeat(MiB) });
    for (let i = 0; i < 20; i++) {
      expect((await post(t, TIMESTAMP_ONLY, body, { 'x-timestamp': String(Math.floor(Date.now() / 1000)) })).status).toBe(400);
    }
    const log = await logOf(t, TIMESTAMP_ONLY);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ code: 'filtered_out', repeats: 19 });
    expect(storeBytes(t) - before).toBeLessThan(MiB);
  });

  it('answers JSON nested 20,000 deep with a 400 it logs, not a 500', async () => {
    t = await startTestService(VALOHAI, `server: {admin_token: ${ADMIN}}\n${TRIGGERS}`);
    const deep = `{"kind": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const response = await post(t, OPEN, deep);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unparseable_body');
    expect((await logOf(t, OPEN))[0]).toMatchObject({ code: 'unparseable_body' });
  });

  it('purges after 30 days unless told otherwise', () => {
    const project = tempProject(VALOHAI);
    try {
      expect(project.load(TRIGGERS).config.retention).toEqual({ days: 30 });
      expect(project.load(`retention: false\n${TRIGGERS}`).config.retention).toBe(false);
      expect(project.load(`retention: {days: 7}\n${TRIGGERS}`).config.retention).toEqual({ days: 7 });
    } finally {
      project.remove();
    }
  });
});
