/**
 * The payload log (core/store/sqlite/payload-log.ts) attacked through a real `hooklaunch serve`:
 * large bodies of many sizes (2 KiB to 5 MB) under load and a SIGKILL, then what every path that
 * reads a payload gives back after the restart.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/project.js';
import { serveProcess as serve, workSettled } from '../helpers/serve-process.js';
import { openSqliteStore } from '../../core/store/sqlite/sqlite-store.js';

const TRIGGER = '0190fe82-0000-7000-8000-000000000301';
const CLI = join(import.meta.dirname, '../../core/cli/main.ts');
const ADMIN = 'payload-log-attack-admin-token';
const auth = { authorization: `Bearer ${ADMIN}` };
/** Sizes around the threshold and up to the default 5 MiB limit; the n-th request gets SIZES[n % length]. */
const SIZES = [2048, 2049, 4096, 70_000, 300_000, 1_000_000, 5_000_000];

/** Letters that vary along the body, so a payload read from a wrong offset cannot match. */
const PAD = Array.from({ length: Math.max(...SIZES) }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');

function bodyOf(n: string, bytes: number): string {
  const head = JSON.stringify({ n, pad: '' });
  return JSON.stringify({ n, pad: PAD.slice(0, bytes - head.length) });
}

describe('payload log under a SIGKILL, through the real server', () => {
  it('gives back every acknowledged body of 2 KiB to 5 MB byte for byte: store, runner input file, replay', async () => {
    const project = tempProject(
      '- step:\n    name: keep\n    image: x\n    command: mkdir -p "$VH_REPOSITORY_DIR/got" && cp "$VH_INPUTS_DIR"/payload/* "$VH_REPOSITORY_DIR/got/{parameter-value:n}"\n    parameters: [{name: n, type: string}]\n    inputs: [{name: payload}]\n',
    );
    const config = join(project.dir, 'hooklaunch.yaml');
    const db = join(project.dir, 'state.db');
    writeFileSync(
      config,
      `server: {admin_token: ${ADMIN}}\nstore: {url: "sqlite:${db}"}\ntriggers:\n  - id: ${TRIGGER}\n    conditions: [{type: deduplicate, lookup: json, key: n}]\n    actions: [{type: run-execution, step: keep, payload_input: payload, parameters: {n: "{payload.n}"}}]\n`,
    );
    try {
      const first = await serve(config);
      const acknowledged: Array<{ n: string; runId: string; requestId: string; body: string }> = [];
      let sent = 0;
      let stop = false;
      const worker = async (): Promise<void> => {
        while (!stop) {
          const i = sent++;
          const n = `r${i}`;
          const body = bodyOf(n, SIZES[i % SIZES.length]!);
          try {
            const res = await fetch(`${first.url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
            if (res.ok) acknowledged.push({ n, runId: ((await res.json()) as { run_id: string }).run_id, requestId: res.headers.get('x-request-id')!, body });
          } catch {
            return;
          }
        }
      };
      const workers = Array.from({ length: 6 }, worker);
      await expect.poll(() => acknowledged.filter((a) => a.body.length >= 5_000_000).length, { timeout: 30_000, interval: 5 }).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 150));
      first.child.kill('SIGKILL');
      stop = true;
      await Promise.all(workers);
      await first.exited;

      const second = await serve(config);
      const check = new Database(db, { readonly: true });
      try {
        await expect.poll(() => workSettled(check), { timeout: 60_000, interval: 100 }).toBe(true);
        expect(check.prepare('SELECT COUNT(*) AS n FROM executions GROUP BY job_id HAVING n > 1').all()).toEqual([]);
        expect(check.prepare(`SELECT status, error FROM executions WHERE status != 'complete'`).all()).toEqual([]);
        const beside = await openSqliteStore(db);
        try {
          for (const { n, runId, requestId, body } of acknowledged) {
            expect(check.prepare('SELECT COUNT(*) AS n FROM executions WHERE run_id = ?').get(runId)).toEqual({ n: 1 });
            expect((await beside.getPayload(runId))?.body.toString(), n).toBe(body);
            expect((await beside.getRequest(requestId))?.raw.body?.toString(), n).toBe(body);
            expect(readFileSync(join(project.dir, 'got', n), 'utf8'), n).toBe(body);
          }
        } finally {
          await beside.close();
        }
        // A replay of the largest acknowledged request reads its body from the log; it is a
        // duplicate of itself (same n), answered with the same run.
        const largest = acknowledged.reduce((a, b) => (b.body.length > a.body.length ? b : a));
        const replay = await fetch(`${second.url}/api/v0/requests/${largest.requestId}/replay/`, { method: 'POST', headers: auth });
        expect(replay.status).toBe(200);
        expect(await replay.json()).toMatchObject({ outcome: 'duplicate', run_id: largest.runId });
      } finally {
        check.close();
        second.child.kill('SIGKILL');
        await second.exited;
      }
    } finally {
      project.remove();
    }
  });

  it('writes nothing for forged bodies; a command beside the server reads the log and never appends or deletes; a replay gives the same bytes', async () => {
    const token = '0190fe82-0000-7000-8000-000000000302';
    const project = tempProject('- step:\n    name: keep\n    image: x\n    command: "true"\n');
    const config = join(project.dir, 'hooklaunch.yaml');
    const db = join(project.dir, 'state.db');
    const payloads = `${db}.payloads`;
    writeFileSync(
      config,
      `server: {admin_token: ${ADMIN}}\nstore: {url: "sqlite:${db}"}\ntriggers:\n  - id: ${token}\n    conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: tok}]\n    actions: [{type: run-execution, step: keep}]\n`,
    );
    const cli = (...args: string[]): string => execFileSync(process.execPath, ['--import', 'tsx', CLI, ...args, '-c', config], { encoding: 'utf8', timeout: 30_000 });
    const files = (): Record<string, number> => Object.fromEntries(readdirSync(payloads).map((name) => [name, statSync(join(payloads, name)).size]));
    try {
      // A file where the folder should be fails the start, naming it (not every large request later).
      writeFileSync(payloads, 'not a folder');
      await expect(serve(config)).rejects.toThrow(/state\.db\.payloads/);
      rmSync(payloads);

      const server = await serve(config);
      try {
        const launch = (tokenValue: string, body: string): Promise<Response> => fetch(`${server.url}/api/v0/launch/${token}/`, { method: 'POST', headers: { 'x-token': tokenValue }, body });
        const forged = await Promise.all(Array.from({ length: 20 }, () => launch('forged', 'f'.repeat(200_000)).then((res) => res.status)));
        expect(forged).toEqual(Array.from({ length: 20 }, () => 400));
        expect(files()).toEqual({});

        const bodies = Array.from({ length: 5 }, (_, i) => `${i}:${'b'.repeat(50_000 + i)}`);
        const answers = await Promise.all(bodies.map((body) => launch('tok', body)));
        expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
        const requestIds = answers.map((res) => res.headers.get('x-request-id')!);
        const before = files();
        expect(Object.values(before).reduce((a, b) => a + b, 0)).toBe(bodies.reduce((n, body) => n + body.length, 0));

        // Commands that open the store beside the serving process.
        const logged = cli('logs', '--json');
        for (const requestId of requestIds) expect(logged).toContain(requestId);
        expect(cli('runs').trim().split('\n')).toHaveLength(5);
        expect(files()).toEqual(before);

        // A replay reads the logged body from the log and launches it again: a new run, the same bytes.
        expect(cli('replay', requestIds[4]!, '-u', server.url)).toMatch(/replayed as .*: accepted, run /);
        const beside = await openSqliteStore(db);
        try {
          const [replayed] = await beside.listLog({ triggerId: token, limit: 1 });
          expect(replayed).toMatchObject({ replayOf: requestIds[4], outcome: 'accepted' });
          expect((await beside.getPayload(replayed!.runId!))?.body.toString()).toBe(bodies[4]);
          for (const [i, requestId] of requestIds.entries()) expect((await beside.getRequest(requestId))?.raw.body?.toString()).toBe(bodies[i]);
        } finally {
          await beside.close();
        }
      } finally {
        server.child.kill('SIGKILL');
        await server.exited;
      }
    } finally {
      project.remove();
    }
  });

  it('after a simulated power loss, launches only the runs whose bytes reached the disk and says why the others are gone', async () => {
    const project = tempProject('- step:\n    name: record\n    image: x\n    command: echo {parameter-value:n} >> "$VH_REPOSITORY_DIR/launched.txt"\n    parameters: [{name: n, type: string}]\n');
    const config = join(project.dir, 'hooklaunch.yaml');
    const db = join(project.dir, 'state.db');
    writeFileSync(config, `store: {url: "sqlite:${db}"}\ntriggers:\n  - id: ${TRIGGER}\n    conditions: [{type: deduplicate, lookup: json, key: n}]\n    actions: [{type: run-execution, step: record, parameters: {n: "{payload.n}"}}]\n`);
    const bodies = ['r0', 'r1', 'r2', 'r3'].map((n) => bodyOf(n, 20_000));
    try {
      // Launches paused: the four runs wait in the store, none launched before the "power loss".
      const first = await serve(config, { env: { HOOKLAUNCH_PAUSE_LAUNCHES: '1' } });
      const send = (url: string, body: string): Promise<Response> => fetch(`${url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      for (const body of bodies) expect((await send(first.url, body)).status).toBe(200);
      first.child.kill('SIGTERM');
      await first.exited;
      // The power loss as the disk would have it had it struck after the last commit: the WAL kept
      // every row, the log only the first two bodies (its note then said no more was durable).
      const durableBytes = bodies[0]!.length + bodies[1]!.length;
      const edit = new Database(db);
      edit.prepare(`UPDATE meta SET value = ? WHERE key = 'payload_log_durable'`).run(`1:${durableBytes}`);
      edit.close();
      truncateSync(join(`${db}.payloads`, '0000000001.seg'), durableBytes + 100);

      const second = await serve(config);
      const check = new Database(db, { readonly: true });
      try {
        await expect.poll(() => (check.prepare(`SELECT COUNT(*) AS n FROM executions WHERE status = 'complete'`).get() as { n: number }).n, { timeout: 30_000, interval: 100 }).toBe(2);
        expect(readFileSync(join(project.dir, 'launched.txt'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['r0', 'r1']);
        const lines = execFileSync(process.execPath, ['--import', 'tsx', CLI, 'logs', '--json', '-c', config], { encoding: 'utf8', timeout: 30_000 })
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { outcome: string; message?: string | null });
        expect(lines.filter((line) => line.outcome === 'accepted')).toHaveLength(2);
        const lost = lines.filter((line) => line.outcome === 'rejected');
        expect(lost).toHaveLength(2);
        for (const line of lost) expect(line.message).toMatch(/never acknowledged and nothing was launched/);
        // The sender's retry is a new delivery; a repeat of a kept one is still its duplicate.
        expect((await send(second.url, bodies[3]!)).status).toBe(200);
        expect((await send(second.url, bodies[0]!)).status).toBe(200);
        await expect.poll(() => readFileSync(join(project.dir, 'launched.txt'), 'utf8').split('\n').filter(Boolean).sort(), { timeout: 30_000, interval: 100 }).toEqual(['r0', 'r1', 'r3']);
        expect(check.prepare(`SELECT outcome FROM requests ORDER BY seq DESC LIMIT 2`).all()).toEqual([{ outcome: 'duplicate' }, { outcome: 'accepted' }]);
      } finally {
        check.close();
        second.child.kill('SIGKILL');
        await second.exited;
      }
    } finally {
      project.remove();
    }
  });
});
