/**
 * A captured delivery sent again launches nothing (issue #11, point 4): GitHub does not sign
 * X-GitHub-Delivery, so connector deliveries are also deduplicated on their signed bytes; the
 * quickstart's HMAC recipe signs its delivery id. Payloads from @octokit/webhooks-examples, signed
 * by @octokit/webhooks-methods; the recipe run as the README writes it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../core/service.js';
import { githubRequest } from '../helpers/provider-requests.js';
import { tempProject, type TempProject } from '../helpers/project.js';
import { silentLogger, startTestService, type TestService } from '../helpers/service.js';

const GITHUB = '0190fe82-0000-7000-8000-0000000e1e01';
const SECRET = 'replay-protection-github-secret';
const REPO = join(import.meta.dirname, '../..');
type Example = { name: string; examples: Array<Record<string, unknown>> };
const pushes = (createRequire(import.meta.url)('@octokit/webhooks-examples') as Example[]).find((g) => g.name === 'push')!.examples;

describe('a GitHub delivery captured and sent again under a new delivery id', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(
      '- step: {name: ok, image: x, command: "true"}\n',
      `triggers:\n  - id: ${GITHUB}\n    connector: {type: github, secret: ${SECRET}, branches: ["*", "**"]}\n    actions: [{type: run-execution, step: ok}]\n`,
    );
  });
  afterAll(() => t.close());

  it('launches once; genuine deliveries with other bodies each launch', async () => {
    const send = async (payload: unknown, delivery: string) => {
      const signed = await githubRequest(payload, SECRET, 'push', delivery);
      const response = await fetch(t.url(GITHUB), { method: 'POST', headers: signed.headers, body: signed.body });
      return { status: response.status, body: (await response.json()) as { run_id?: string } };
    };
    const genuine = pushes.filter((p) => p.deleted !== true && String(p.ref).startsWith('refs/heads/')).slice(0, 3);
    expect(genuine.length).toBeGreaterThan(1);
    const first = await send(genuine[0], 'delivery-1');
    expect(first.status).toBe(200);
    const replayed = await send(genuine[0], 'delivery-attacker-chose');
    // Answered like a redelivery (2xx, the original run), so nothing is launched and nothing is learnt.
    expect(replayed).toEqual({ status: 200, body: { triggered: true, run_id: first.body.run_id } });
    for (const [index, payload] of genuine.slice(1).entries()) {
      const other = await send(payload, `delivery-${index + 2}`);
      expect(other.status).toBe(200);
      expect(other.body.run_id).not.toBe(first.body.run_id);
    }
    const log = await t.service.store.listLog({ triggerId: GITHUB, limit: 10 });
    expect(log.filter((e) => e.outcome === 'accepted')).toHaveLength(genuine.length);
    expect(log.find((e) => e.outcome === 'duplicate')).toMatchObject({ runId: first.body.run_id, message: 'repeat of an earlier delivery (same body); nothing launched' });
    // GitHub's own redelivery keeps its id: still caught, and said so.
    const second = await send(genuine[1], 'delivery-2');
    expect(second.status).toBe(200);
    const [redelivery] = await t.service.store.listLog({ triggerId: GITHUB, limit: 1 });
    expect(redelivery).toMatchObject({ outcome: 'duplicate', runId: second.body.run_id, message: 'repeat of an earlier delivery (same delivery id); nothing launched' });
    // Repeats of one run from one sender share a line: a replayed capture does not grow the log.
    for (let i = 0; i < 5; i++) await send(genuine[0], `delivery-replayed-${i}`);
    await t.service.rejections.flush();
    const replays = (await t.service.store.listLog({ triggerId: GITHUB, limit: 20 })).filter((e) => e.outcome === 'duplicate' && e.runId === first.body.run_id);
    expect(replays).toHaveLength(1);
    expect(replays[0]!.repeats).toBe(5);

    // GitHub also sends an X-Hub-Signature (sha1) nothing verifies: varying or dropping it must not make a replay new.
    const captured = await githubRequest(genuine[0], SECRET, 'push', 'delivery-sha1');
    const variants = [{ ...captured.headers, 'x-hub-signature': 'sha1=0000' }, { ...captured.headers, 'x-hub-signature': 'sha1=1111' }, captured.headers];
    for (const [i, headers] of variants.entries()) {
      const response = await fetch(t.url(GITHUB), { method: 'POST', headers: { ...headers, 'x-github-delivery': `delivery-sha1-${i}` }, body: captured.body });
      expect(((await response.json()) as { run_id: string }).run_id).toBe(first.body.run_id);
    }
    expect((await t.service.store.listLog({ triggerId: GITHUB, outcome: 'accepted', limit: 20 })).length).toBe(genuine.length);
  });
});

describe('a filtered delivery whose reason quotes the payload', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(
      '- step: {name: ok, image: x, command: "true"}\n',
      `triggers:\n  - id: ${GITHUB}\n    connector: {type: github, secret: ${SECRET}}\n    actions: [{type: run-execution, step: ok}]\n`,
    );
  });
  afterAll(() => t.close());

  it('answers with the reason cut short (found by attacking the server: a 100 KB tag name came back whole)', async () => {
    const push = { ...pushes.find((p) => p.deleted !== true)!, ref: `refs/tags/${'v'.repeat(100_000)}` };
    const signed = await githubRequest(push, SECRET, 'push', 'delivery-long-tag');
    const response = await fetch(t.url(GITHUB), { method: 'POST', headers: signed.headers, body: signed.body });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.length).toBeLessThan(1000);
    expect(JSON.parse(text)).toMatchObject({ triggered: false, reason: expect.stringContaining('characters)') });
  });
});

describe("the quickstart's signed recipe", () => {
  let project: TempProject;
  let service: Service;
  beforeAll(async () => {
    project = tempProject('');
    const bundled = readFileSync(join(REPO, 'hooklaunch.yaml'), 'utf8')
      .replace('url: sqlite:.hooklaunch/state.db', `url: sqlite:${join(project.dir, 'state.db')}`)
      .replace('path: templates/quickstart', `path: ${join(REPO, 'templates/quickstart')}`);
    expect(bundled).toContain(project.dir);
    service = await startService(project.load(bundled), { port: 0, logger: silentLogger, workRoot: join(project.dir, 'work') });
  });
  afterAll(async () => {
    await service.close();
    project.remove();
  });

  it('signs the delivery id, so a captured request sent under a new id is refused', async () => {
    // Asynchronously: the server answering curl runs in this process.
    const run = async (file: string, args: string[]) => (await promisify(execFile)(file, args, { encoding: 'utf8' })).stdout;
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const recipe = /A signed request[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    // The README's lines as written, with curl pointed at this server and told to show what it sent.
    const script = recipe.replace('http://127.0.0.1:8080', service.url).replace('curl -X POST', 'curl -s -w "\\n%{http_code}\\n" -X POST') + '\necho "$id|$ts|$sig|$body"\n';
    const [answer, status, sent] = (await run('bash', ['-c', script])).trim().split('\n');
    expect(status).toBe('202');
    expect(JSON.parse(answer!)).toMatchObject({ status: 'accepted' });

    const [id, ts, sig, body] = sent!.split('|');
    const resend = (deliveryId: string) =>
      run(
        'curl',
        ['-s', '-X', 'POST', `${service.url}/api/v0/launch/0190fe82-c984-7f66-8302-6a1b2c3d4e5f/`, '-H', 'Content-Type: application/json', '-H', `X-Timestamp: ${ts}`, '-H', `X-Signature: sha256=${sig}`, '-H', `X-Delivery-Id: ${deliveryId}`, '-d', body!],
      );
    expect(JSON.parse(await resend(`${id}0`))).toMatchObject({ error: { code: 'signature_mismatch' } });
    // The same id again is a redelivery: answered, nothing launched.
    expect(JSON.parse(await resend(id!))).toMatchObject({ status: 'accepted' });
  });
});
