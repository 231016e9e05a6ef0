import { createRequire } from 'node:module';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { github } from '../../../connectors/github/index.js';
import { fixedClock } from '../../../core/clock.js';
import { rawRequest } from '../../helpers/raw-request.js';
import { githubRequest } from '../../helpers/provider-requests.js';
import { startTestService } from '../../helpers/service.js';

interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown>>;
}
export const githubExamples = createRequire(import.meta.url)('@octokit/webhooks-examples') as ExampleGroup[];

const params = (extra: Record<string, unknown> = {}) => github.params.parse({ secret: 'webhook-secret-0123', ...extra });

async function delivered(payload: unknown, event: string, extra: Record<string, unknown> = {}, form = false) {
  const signed = await githubRequest(payload, 'webhook-secret-0123', event, `d-${Math.random()}`, form);
  const req = rawRequest({ headers: signed.headers, body: signed.body });
  const verified = await github.verify(req, params(extra), fixedClock(0));
  if (!verified.ok) throw new Error(verified.rejection.message);
  const parsed = github.parse(req, params(extra));
  if (!parsed.ok) throw new Error(parsed.rejection.message);
  return parsed.value;
}

describe('GitHub connector', () => {
  it("verifies GitHub's documented example", async () => {
    const req = rawRequest({
      headers: { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', 'x-github-event': 'push', 'x-github-delivery': 'd-1' },
      body: 'Hello, World!',
    });
    expect(await github.verify(req, github.params.parse({ secret: "It's a Secret to Everybody" }), fixedClock(0))).toEqual({ ok: true, value: undefined });
  });

  it('decodes form deliveries (payload=) like JSON ones', async () => {
    const push = githubExamples.find((g) => g.name === 'push')!.examples[0]!;
    const viaForm = await delivered(push, 'push', {}, true);
    const viaJson = await delivered(push, 'push');
    expect(viaForm.payload).toEqual(viaJson.payload);
  });

  it('parses every example of every event in @octokit/webhooks-examples', async () => {
    let count = 0;
    for (const group of githubExamples) {
      for (const example of group.examples) {
        const delivery = await delivered(example, group.name, { events: [group.name] });
        expect(delivery.kind.split('.')[0]).toBe(group.name);
        count++;
      }
    }
    expect(count).toBeGreaterThan(200);
  });

  it('launches for branch pushes and not for tag creations or deletions, unless configured', async () => {
    const pushes = githubExamples.find((g) => g.name === 'push')!.examples;
    const outcomes = await Promise.all(pushes.map(async (p) => [p.ref, p.deleted, github.filter!(await delivered(p, 'push'), params())] as const));
    for (const [ref, deleted, reason] of outcomes) {
      if (String(ref).startsWith('refs/heads/') && !deleted) expect(reason, String(ref)).toBeUndefined();
      else expect(reason, String(ref)).toBeDefined();
    }
    expect(outcomes.filter(([, , reason]) => reason === undefined).length).toBeGreaterThanOrEqual(2);
    const tagCreate = pushes.find((p) => String(p.ref).startsWith('refs/tags/') && !p.deleted)!;
    expect(github.filter!(await delivered(tagCreate, 'push'), params({ tags: ['*'] }))).toBeUndefined();
    expect(github.filter!(await delivered(tagCreate, 'push'), params({ tags: ['v9*'] }))).toMatch(/does not match v9\*/);
  });

  it('filters on events, branch globs and repositories', async () => {
    const push = { ref: 'refs/heads/release/1.2', after: 'b'.repeat(40), repository: { id: 1, name: 'r', full_name: 'acme/models' } };
    const d = await delivered(push, 'push');
    expect(github.filter!(d, params({ branches: ['release/*'] }))).toBeUndefined();
    expect(github.filter!(d, params({ branches: ['main'] }))).toBe('branch release/1.2 does not match main');
    expect(github.filter!(d, params({ repositories: ['acme/other'] }))).toBe('repository acme/models is not one of acme/other');
    expect(github.filter!(d, params({ events: ['pull_request'] }))).toBe('event push is not one of pull_request');
    const pr = await delivered({ action: 'opened', repository: { id: 1, name: 'r', full_name: 'acme/models' } }, 'pull_request');
    expect(github.filter!(pr, params({ events: ['pull_request.opened'] }))).toBeUndefined();
    expect(github.filter!(pr, params({ events: ['pull_request.closed'] }))).toMatch(/pull_request\.opened is not one of/);
  });

  it('checks only its own fields for a trigger that reads nothing else, with the same verdicts on every example', async () => {
    for (const group of githubExamples) {
      for (const example of group.examples) {
        const signed = await githubRequest(example, 'webhook-secret-0123', group.name, 'd-scope');
        const req = rawRequest({ headers: signed.headers, body: signed.body });
        const all = github.parse(req, params(), 'all');
        const own = github.parse(req, params(), 'own');
        if (!all.ok || !own.ok) throw new Error(`${group.name}: ${JSON.stringify([all, own])}`);
        expect(own.value.kind).toBe(all.value.kind);
        expect(own.value.deliveryId).toBe(all.value.deliveryId);
        expect(github.filter!(own.value, params({ events: [group.name] }))).toBe(github.filter!(all.value, params({ events: [group.name] })));
        expect(github.handshake!(own.value, params())).toEqual(github.handshake!(all.value, params()));
      }
    }
    // A field the connector reads, malformed: the same refusal either way.
    for (const bad of [{ repository: { id: 1, name: 'r', full_name: 5 } }, { ref: 7 }, { action: ['x'] }, { deleted: 'yes' }, [1]]) {
      const signed = await githubRequest(bad, 'webhook-secret-0123', 'push', 'd-bad');
      const req = rawRequest({ headers: signed.headers, body: signed.body });
      expect(github.parse(req, params(), 'own')).toEqual(github.parse(req, params(), 'all'));
      expect(github.parse(req, params(), 'own').ok).toBe(false);
    }
  });

  it('answers ping without launching, and filtered events with 2xx', async () => {
    const ping = githubExamples.find((g) => g.name === 'ping')!.examples[0]!;
    const d = await delivered(ping, 'ping');
    expect(github.handshake!(d, params())).toMatchObject({ status: 200, json: { pong: true } });
    expect(github.ignored('branch x does not match main', d, params())).toEqual({ status: 200, json: { triggered: false, reason: 'branch x does not match main' } });
  });
});

describe('GitHub payload checks, through the server', () => {
  const PLAIN = '0190fe82-0000-7000-8000-00000000a7f2';
  const FILTERED = '0190fe82-0000-7000-8000-00000000a7f3';
  const SECRET = 'github-payload-check-secret';

  it('refuses a malformed commit where the trigger reads the payload; elsewhere the launched code\'s typed parser refuses it', async () => {
    const t = await startTestService('- step: {name: noop, image: x, command: "true"}\n', `
triggers:
  - {id: ${PLAIN}, connector: {type: github, secret: ${SECRET}}, actions: [{type: run-execution, step: noop}]}
  - id: ${FILTERED}
    connector: {type: github, secret: ${SECRET}}
    conditions: [{type: payload-filter, lookup: head_commit.message, operation: exists}]
    actions: [{type: run-execution, step: noop}]
`);
    try {
      const push = githubExamples.find((g) => g.name === 'push')!.examples.find((p) => String(p.ref).startsWith('refs/heads/') && Array.isArray(p.commits) && p.commits.length > 0)!;
      const malformed = { ...push, commits: [{ ...(push.commits as object[])[0], id: 12345 }] };
      const send = async (trigger: string, delivery: string) => {
        const signed = await githubRequest(malformed, SECRET, 'push', delivery);
        const res = await fetch(t.url(trigger), { method: 'POST', headers: signed.headers, body: signed.body });
        return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
      };
      // The filter reads the payload: the whole of it is checked before anything launches.
      expect(await send(FILTERED, 'd-filtered')).toEqual({ status: 400, body: { error: { code: 'payload_invalid', message: 'not a GitHub webhook payload: commits.0.id: Invalid input: expected string, received number' } } });
      // Nothing of the payload is read here but the connector's own fields: accepted, and the
      // same check (the schema the typed parsers are generated from) refuses it where it is read.
      expect((await send(PLAIN, 'd-plain')).status).toBe(200);
      const stored = rawRequest({ headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'd-plain' }, body: JSON.stringify(malformed) });
      expect(github.parse(stored, params())).toMatchObject({ ok: false, rejection: { code: 'payload_invalid', message: expect.stringContaining('commits.0.id') } });
    } finally {
      await t.close();
    }
  });
});

describe('GitHub signatures over the raw bytes, through the server', () => {
  const TRIGGER = '0190fe82-0000-7000-8000-00000000a7f1';
  const SECRET = 'github-raw-bytes-secret';

  it('refuses a body signed over U+FFFD but sent with byte 0xFF; the same text sent as UTF-8 passes', async () => {
    const t = await startTestService('- step: {name: noop, image: x, command: "true"}\n', `
triggers:
  - {id: ${TRIGGER}, connector: {type: github, secret: ${SECRET}}, actions: [{type: run-execution, step: noop}]}
`);
    try {
      // octokit signs the UTF-8 encoding of the string: U+FFFD is EF BF BD on the wire.
      const text = '{"ref": "refs/heads/main", "after": "' + 'c'.repeat(40) + '", "repository": {"id": 1, "name": "r", "full_name": "o/r"}, "note": "\uFFFD"}';
      const signature = await octokitSign(SECRET, text);
      const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature };
      const raw = Buffer.from(text.replace('\uFFFD', '\u0000'), 'utf8');
      raw[raw.indexOf(0)] = 0xff; // the same body with the lone byte 0xFF, which decodes to U+FFFD
      expect(raw.toString('utf8')).toBe(text);

      const forged = await fetch(t.url(TRIGGER), { method: 'POST', headers: { ...headers, 'x-github-delivery': 'raw-ff' }, body: raw });
      expect(forged.status).toBe(400);
      expect(await forged.json()).toMatchObject({ error: { code: 'signature_mismatch' } });

      const genuine = await fetch(t.url(TRIGGER), { method: 'POST', headers: { ...headers, 'x-github-delivery': 'utf8-fffd' }, body: Buffer.from(text, 'utf8') });
      expect(genuine.status).toBe(200);
      await t.service.settled();
      expect((await t.service.store.listLog({ triggerId: TRIGGER, limit: 10 })).map((e) => e.outcome)).toEqual(['accepted', 'rejected']);
    } finally {
      await t.close();
    }
  });
});
