/** GitLab, Discord, Label Studio, Datadog, Grafana, Stripe and Standard Webhooks through the real server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordKey, discordRequest, gitlabPush, gitlabRequest, grafanaBody, grafanaRequest, standardRequest, stripeBody, stripeRequest, toWhsec, type SignedRequest } from '../../helpers/provider-requests.js';
import { startTestService, type TestService } from '../../helpers/service.js';
import { startSink } from '../../helpers/template.js';

const ID = (n: number) => `0190fe82-0000-7000-8000-00000000c0${n.toString(16).padStart(2, '0')}`;
const action = 'actions: [{type: run-execution, step: noop}]';
const now = () => Math.floor(Date.now() / 1000);
const whsec = toWhsec('standard-secret') as string;
const gitlabWhsec = toWhsec('gitlab-secret') as string;

interface Provider {
  readonly name: string;
  readonly id: string;
  readonly good: () => SignedRequest;
  readonly forged: () => SignedRequest;
  readonly stale?: () => SignedRequest;
  readonly filtered: () => SignedRequest;
  readonly forgedStatus?: number;
}

const stripeSigned = (body: string, secret: string, ts = now()): SignedRequest => stripeRequest(body, secret, ts);
const grafanaSigned = (body: string, secret: string): SignedRequest => grafanaRequest(body, secret, { header: 'X-Grafana-Alerting-Signature' });

const providers: Provider[] = [
  {
    name: 'GitLab (token)',
    id: ID(1),
    good: () => gitlabRequest('gitlab-token'),
    forged: () => gitlabRequest('wrong-token'),
    filtered: () => gitlabRequest('gitlab-token', { ...gitlabPush, ref: 'refs/heads/feature' }),
  },
  {
    name: 'GitLab (signed)',
    id: ID(2),
    good: () => standardRequest({ ...gitlabPush, after: 'c'.repeat(40) }, gitlabWhsec, now(), { 'x-gitlab-event': 'Push Hook' }),
    forged: () => standardRequest(gitlabPush, toWhsec('other') as string, now()),
    stale: () => standardRequest(gitlabPush, gitlabWhsec, now() - 3600),
    filtered: () => standardRequest({ ...gitlabPush, object_kind: 'merge_request' }, gitlabWhsec, now()),
  },
  {
    name: 'Discord',
    id: ID(3),
    good: () => discordRequest({ id: `i-${Math.random()}`, application_id: 'app1', type: 2, token: 'tok', guild_id: 'g1', member: { user: { id: 'u1' } }, data: { name: 'predict' } }, discordKey('discord-app'), now()),
    forged: () => discordRequest({ id: 'x', application_id: 'app1', type: 2, token: 'tok', data: { name: 'predict' } }, discordKey('impostor'), now()),
    stale: () => discordRequest({ id: 'y', application_id: 'app1', type: 2, token: 'tok', data: { name: 'predict' } }, discordKey('discord-app'), now() - 3600),
    filtered: () => discordRequest({ id: `z-${Math.random()}`, application_id: 'app1', type: 2, token: 'tok', guild_id: 'g1', data: { name: 'train' } }, discordKey('discord-app'), now()),
    forgedStatus: 401,
  },
  {
    name: 'Label Studio',
    id: ID(4),
    good: () => ({ body: JSON.stringify({ action: 'ANNOTATION_CREATED', project: { id: 3, task_number: 5, finished_task_number: 5 }, annotation: { id: Math.floor(Math.random() * 1e9), updated_at: '2026-11-26T10:00:00Z' } }), headers: { 'content-type': 'application/json', authorization: 'Token ls-token' } }),
    forged: () => ({ body: '{"action":"ANNOTATION_CREATED"}', headers: { 'content-type': 'application/json', authorization: 'Token nope' } }),
    filtered: () => ({ body: JSON.stringify({ action: 'ANNOTATION_CREATED', project: { id: 3, task_number: 5, finished_task_number: 4 }, annotation: { id: 9 } }), headers: { 'content-type': 'application/json', authorization: 'Token ls-token' } }),
  },
  {
    name: 'Datadog',
    id: ID(5),
    good: () => ({ body: JSON.stringify({ id: String(Math.random()), transition: 'Triggered', priority: 'P1', tags: 'env:prod,team:ml' }), headers: { 'content-type': 'application/json', authorization: 'Bearer dd-token' } }),
    forged: () => ({ body: '{"id":"1","transition":"Triggered"}', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' } }),
    filtered: () => ({ body: JSON.stringify({ id: '2', transition: 'Recovered', tags: 'env:prod' }), headers: { 'content-type': 'application/json', authorization: 'Bearer dd-token' } }),
  },
  {
    name: 'Grafana',
    id: ID(6),
    good: () => grafanaSigned(grafanaBody.replace('"f1"', `"f-${Math.random()}"`), 'grafana-secret-0123'),
    forged: () => grafanaSigned(grafanaBody, 'nope'),
    filtered: () => grafanaSigned(grafanaBody.replaceAll('firing', 'resolved'), 'grafana-secret-0123'),
  },
  {
    name: 'Stripe',
    id: ID(7),
    good: () => stripeSigned(stripeBody.replace('evt_1', `evt_${Math.random()}`), 'whsec_stripe_0123456789'),
    forged: () => stripeSigned(stripeBody, 'whsec_other'),
    stale: () => stripeSigned(stripeBody, 'whsec_stripe_0123456789', now() - 3600),
    filtered: () => stripeSigned(stripeBody.replace('checkout.session.completed', 'invoice.created'), 'whsec_stripe_0123456789'),
  },
  {
    name: 'Standard Webhooks',
    id: ID(8),
    good: () => standardRequest({ type: 'model.published', data: { n: Math.random() } }, whsec, now()),
    forged: () => standardRequest({ type: 'model.published' }, toWhsec('other') as string, now()),
    stale: () => standardRequest({ type: 'model.published' }, whsec, now() + 3600),
    filtered: () => standardRequest({ type: 'model.deleted' }, whsec, now()),
  },
];

describe('more connectors end to end', () => {
  let t: TestService;
  let discordApi: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    discordApi = await startSink();
    t = await startTestService(
      '- step: {name: noop, image: x, command: "true"}\n',
      `
triggers:
  - {id: ${ID(1)}, connector: {type: gitlab, secret: gitlab-token, branches: [main]}, ${action}}
  - {id: ${ID(2)}, connector: {type: gitlab, mode: signed, secret: "${gitlabWhsec}"}, ${action}}
  - {id: ${ID(3)}, connector: {type: discord, public_key: ${discordKey('discord-app').publicHex}, commands: [predict], api_base: "${discordApi.url}/api"}, ${action}}
  - {id: ${ID(4)}, connector: {type: label-studio, secret: ls-token, actions: [ANNOTATION_CREATED], when_all_tasks_finished: true}, ${action}}
  - {id: ${ID(5)}, connector: {type: datadog, secret: dd-token, tags: ["env:prod"]}, ${action}}
  - {id: ${ID(6)}, connector: {type: grafana, secret: grafana-secret-0123, labels: {team: ml}}, ${action}}
  - {id: ${ID(7)}, connector: {type: stripe, secret: whsec_stripe_0123456789, events: ["checkout.session.*"]}, ${action}}
  - {id: ${ID(8)}, connector: {type: standard-webhooks, secret: "${whsec}", types: [model.published]}, ${action}}
`,
    );
  });
  afterAll(async () => {
    await t.close();
    await discordApi.close();
  });

  const send = async (id: string, request: SignedRequest) => {
    const res = await fetch(t.url(id), { method: 'POST', headers: request.headers, body: request.body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  describe.each(providers)('$name', (p) => {
    it('accepts a correctly signed delivery and launches once; a repeat launches nothing', async () => {
      const request = p.good();
      const first = await send(p.id, request);
      expect(first.status).toBe(200);
      const again = await send(p.id, request);
      expect(again.status).toBe(200);
      const log = await t.service.store.listLog({ triggerId: p.id, limit: 2 });
      expect(log.map((e) => e.outcome)).toEqual(['duplicate', 'accepted']);
      expect(log[0]!.runId).toBe(log[1]!.runId);
    });

    it('refuses a forged signature or token', async () => {
      const result = await send(p.id, p.forged());
      expect(result.status).toBe(p.forgedStatus ?? 400);
      expect(result.body).toMatchObject({ error: { code: expect.stringMatching(/signature_mismatch|token_mismatch/) } });
    });

    it.skipIf(!p.stale)(`refuses a stale or future timestamp${p.stale ? '' : ' (skipped: no timestamp in this scheme)'}`, async () => {
      const result = await send(p.id, p.stale!());
      expect(result.body).toMatchObject({ error: { code: expect.stringMatching(/timestamp_too_(old|new)/) } });
    });

    it('answers a filtered delivery 2xx without launching', async () => {
      const result = await send(p.id, p.filtered());
      expect(result.status).toBe(200);
      const [entry] = await t.service.store.listLog({ triggerId: p.id, limit: 1 });
      expect(entry).toMatchObject({ outcome: 'ignored', code: 'filtered_out' });
    });
  });

  it('Discord: PING gets PONG, a command a deferred answer edited when the run completes', async () => {
    const ping = await send(ID(3), discordRequest({ id: 'p', application_id: 'app1', type: 1, token: 'tok' }, discordKey('discord-app'), now()));
    expect(ping).toEqual({ status: 200, body: { type: 1 } });
    const command = await send(ID(3), discordRequest({ id: 'cmd-1', application_id: 'app1', type: 2, token: 'itok', data: { name: 'predict' } }, discordKey('discord-app'), now()));
    expect(command.body).toEqual({ type: 5, data: { flags: 64 } });
    await t.service.settled();
    const edits = discordApi.received.filter((r) => r.path === '/api/webhooks/app1/itok/messages/@original');
    expect(edits.map((e) => (JSON.parse(e.body) as { content: string }).content)).toContainEqual(expect.stringMatching(/^✅ Run [0-9a-f-]{36} completed/));
  });
});
