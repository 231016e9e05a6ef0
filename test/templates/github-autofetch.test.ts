/** templates/github-autofetch end to end: a signed push → fetch → smoke test at the pushed commit. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubRequest } from '../helpers/provider-requests.js';
import { startTemplate, type TemplateService } from '../helpers/template.js';

const TRIGGER = '0190fe82-1e2d-7c4b-9a69-4788b5c4d3e2';
const SECRET = 'github-webhook-secret-for-tests';
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
const pushes = examples.find((g) => g.name === 'push')!.examples;
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-C', cwd, '-c', 'user.name=dev', '-c', 'user.email=dev@example.test', ...args], { encoding: 'utf8' }).trim();

describe('template github-autofetch', () => {
  let t: TemplateService;
  let scratch: string;
  let bare: string;
  let dev: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'hooklaunch-gh-'));
    bare = join(scratch, 'models.git');
    dev = join(scratch, 'dev');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
    t = await startTemplate('github-autofetch', { GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_REMOTE: `file://${bare}` }, (dir) => {
      // The template's folder is the repository's working copy: commit it and publish it as "GitHub".
      execFileSync('git', ['init', '-q', '-b', 'main', dir]);
      git(dir, 'add', 'valohai.yaml', 'smoke_test.py', 'github_payload.py');
      git(dir, 'commit', '-qm', 'initial');
      git(dir, 'push', '-q', `file://${bare}`, 'main');
    });
    execFileSync('git', ['clone', '-q', bare, dev]);
  });
  afterAll(async () => {
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const push = (file: string, content: string, message: string): string => {
    writeFileSync(join(dev, file), content);
    git(dev, 'add', file);
    git(dev, 'commit', '-qm', message);
    git(dev, 'push', '-q', 'origin', 'main');
    return git(dev, 'rev-parse', 'HEAD');
  };

  const deliver = async (payload: Record<string, unknown>, delivery: string, event = 'push', secret = SECRET) => {
    const signed = await githubRequest(payload, secret, event, delivery);
    return fetch(t.url(TRIGGER), { method: 'POST', headers: signed.headers, body: signed.body });
  };

  const branchPush = pushes.find((p) => p.ref === 'refs/heads/master' && !p.deleted)!;
  const pushEvent = (after: string, extra: Record<string, unknown> = {}) => ({
    ...branchPush,
    ref: 'refs/heads/main',
    after,
    head_commit: { ...(branchPush.head_commit as object), id: after, message: 'Add the feature extractor' },
    ...extra,
  });

  it('fetches the pushed commit and runs the smoke test exactly there', async () => {
    const sha = push('features.py', 'def extract(x):\n    return [x]\n', 'Add the feature extractor');
    const started = performance.now();
    const res = await deliver(pushEvent(sha), 'delivery-1');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(res.status).toBe(200);
    const { triggered, run_id } = (await res.json()) as { triggered: boolean; run_id: string };
    expect(triggered).toBe(true);
    await t.service.settled();

    const run = (await t.service.store.getRun(run_id))!;
    expect(run.jobs.map((j) => j.state)).toEqual(['done', 'done']);
    expect(run.jobs[0]!.result).toEqual({ kind: 'fetch', commits: [{ ref: 'main', identifier: sha }], errors: [] });
    const execution = run.executions[0]!;
    expect(execution).toMatchObject({ status: 'complete', spec: { commit: sha } });
    const stdout = (await t.service.store.executionLog(execution.id)).filter((c) => c.stream === 'stdout').map((c) => c.text).join('');
    expect(stdout).toContain(`refs/heads/main -> ${sha}`);
    expect(stdout).toContain(`head commit ${sha.slice(0, 12)}: Add the feature extractor`);
    expect(stdout).toContain(`{"commit": "${sha}", "python_files_failing": 0}`);
  });

  it('fails the run when the pushed code is broken', async () => {
    const sha = push('broken.py', 'def broken(:\n', 'Break the build');
    const { run_id } = (await (await deliver(pushEvent(sha), 'delivery-2')).json()) as { run_id: string };
    await t.service.settled();
    const run = (await t.service.store.getRun(run_id))!;
    expect(run.executions[0]).toMatchObject({ status: 'error', exitCode: 1, spec: { commit: sha } });
  });

  it('does not fetch twice for a redelivery', async () => {
    const sha = git(dev, 'rev-parse', 'HEAD');
    const first = (await (await deliver(pushEvent(sha), 'delivery-1')).json()) as { run_id: string };
    const runs = await t.service.store.listLog({ triggerId: TRIGGER, limit: 1 });
    expect(runs[0]).toMatchObject({ outcome: 'duplicate' });
    expect(first.run_id).toBe(runs[0]!.runId);
  });

  it('answers 2xx without launching for other branches, tags, deletions and pings', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [pushEvent('c'.repeat(40), { ref: 'refs/heads/feature/x' }), 'push', /branch feature\/x does not match main/],
      [pushes.find((p) => String(p.ref).startsWith('refs/tags/') && !p.deleted)!, 'push', /tag push/],
      [pushEvent('0'.repeat(40), { deleted: true }), 'push', /refs\/heads\/main was deleted/],
      [{ action: 'opened', repository: branchPush.repository }, 'pull_request', /event pull_request\.opened is not one of push/],
    ];
    for (const [payload, event, reason] of cases) {
      const res = await deliver(payload, `d-${Math.random()}`, event);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { triggered: boolean; reason: string };
      expect(body.triggered).toBe(false);
      expect(body.reason).toMatch(reason);
    }
    const ping = await deliver(examples.find((g) => g.name === 'ping')!.examples[0]!, 'd-ping', 'ping');
    expect(await ping.json()).toMatchObject({ pong: true });
    const log = await t.service.store.listLog({ triggerId: TRIGGER, limit: 5 });
    expect(log.map((l) => l.outcome)).toEqual(['handshake', 'ignored', 'ignored', 'ignored', 'ignored']);
    expect(log[1]!.message).toMatch(/pull_request\.opened/);
  });

  it('rejects a wrong signature with 400', async () => {
    const res = await deliver(pushEvent('d'.repeat(40)), 'd-bad', 'push', 'wrong-secret');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'signature_mismatch' } });
  });
});
