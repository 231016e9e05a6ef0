/**
 * Provider fidelity (issue #11, points 11–15) through the real server: bulk Label Studio events,
 * Grafana re-fires, Slack app_rate_limited, Discord autocomplete, provider body limits and
 * Datadog's default payload. Payloads follow the providers' own documentation, cited per case.
 */
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordKey, discordRequest, githubRequest, grafanaRequest, slackRequest, type SignedRequest } from '../../helpers/provider-requests.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const ID = (n: number) => `0190fe82-0000-7000-8000-00000000f1${n.toString(16).padStart(2, '0')}`;
const LABEL_STUDIO = ID(1);
const GRAFANA = ID(2);
const SLACK = ID(3);
const DISCORD = ID(4);
const DATADOG = ID(5);
const GITHUB = ID(6);
const GITHUB_LIMITED = ID(7);
const GENERIC = ID(8);
const ADMIN_TOKEN = 'admin-token-for-fidelity-tests';
const MiB = 1024 * 1024;
const action = 'actions: [{type: run-execution, step: noop}]';
const now = () => Math.floor(Date.now() / 1000);

const labelStudio = (payload: unknown): SignedRequest => ({ body: JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: 'Token ls-token' } });
const grafana = (payload: unknown): SignedRequest => grafanaRequest(JSON.stringify(payload), 'grafana-secret-0123', { header: 'X-Grafana-Alerting-Signature' });
const datadog = (payload: unknown): SignedRequest => ({ body: JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: 'Bearer dd-token' } });

// A project as Label Studio serialises it in webhooks (labelstud.io/guide/webhook_reference, trimmed).
const project = { id: 2, title: 'New Project #2', task_number: 6, finished_task_number: 0, total_annotations_number: 0 };
// TASKS_CREATED, shaped as the example payload in labelstud.io/guide/webhook_reference ("Task Created").
const tasksCreated = (ids: number[]) => ({
  action: 'TASKS_CREATED',
  tasks: ids.map((id) => ({ id, data: { ner: `text ${id}` }, meta: {}, created_at: '2021-08-17T13:51:02.590839Z', updated_at: '2021-08-17T13:51:02.590873Z', is_labeled: false, overlap: 1, project: 2, file_upload: 46 })),
  project,
});
// ANNOTATIONS_CREATED: label_studio/webhooks/models.py declares it with key "annotation", many: True,
// and the nested "task" many: True — both keys hold lists.
const annotationsCreated = (ids: number[]) => ({
  action: 'ANNOTATIONS_CREATED',
  annotation: ids.map((id) => ({ id, result: [], was_cancelled: false, ground_truth: false, created_at: '2021-08-17T13:52:48.536303Z', updated_at: '2021-08-17T13:52:48.536370Z', task: 19, completed_by: 1 })),
  task: [{ id: 19, data: { ner: 'text' }, updated_at: '2021-08-17T13:52:48.536370Z' }],
  project,
});

// Grafana's webhook notifier example (grafana.com/docs/grafana/latest/alerting/.../webhook-notifier), one alert.
const grafanaAlert = (status: 'firing' | 'resolved', startsAt: string, endsAt = '0001-01-01T00:00:00Z') => ({
  receiver: 'My Super Webhook',
  status,
  orgId: 1,
  alerts: [{ status, labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' }, annotations: { summary: 'This alert was triggered for zone us-1' }, startsAt, endsAt, generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit', fingerprint: 'c6eadffa33fcdf37', values: { B: 44.2, C: 1 } }],
  groupLabels: { alertname: 'High memory usage' },
  commonLabels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
  externalURL: 'https://play.grafana.org/',
  groupKey: '{}:{alertname="High memory usage"}',
  title: `[${status.toUpperCase()}:1] High memory usage`,
  state: status === 'firing' ? 'alerting' : 'ok',
});

/** A POST that declares `length` bytes and sends none; the answer, then the socket is dropped. */
function declareOnly(url: string, length: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'text/plain', 'content-length': String(length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('provider fidelity through the real server', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(
      '- step: {name: noop, image: x, command: "true"}\n',
      `
server: {admin_token: ${ADMIN_TOKEN}}
triggers:
  - {id: ${LABEL_STUDIO}, connector: {type: label-studio, secret: ls-token}, ${action}}
  - {id: ${GRAFANA}, connector: {type: grafana, secret: grafana-secret-0123, statuses: [firing, resolved]}, ${action}}
  - {id: ${SLACK}, connector: {type: slack, secret: slack-secret-01234, follow_up: false}, ${action}}
  - {id: ${DISCORD}, connector: {type: discord, public_key: ${discordKey('fidelity-app').publicHex}, follow_up: false}, ${action}}
  - {id: ${DATADOG}, title: Drift alerts, connector: {type: datadog, secret: dd-token}, ${action}}
  - {id: ${GITHUB}, connector: {type: github, secret: gh-secret-0123456}, ${action}}
  - {id: ${GITHUB_LIMITED}, connector: {type: github, secret: gh-secret-0123456}, max_body_bytes: 1000, ${action}}
  - {id: ${GENERIC}, ${action}}
`,
    );
  });
  afterAll(() => t.close());

  const send = async (id: string, request: SignedRequest) => {
    const res = await fetch(t.url(id), { method: 'POST', headers: request.headers, body: request.body });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const latest = async (id: string) => (await t.service.store.listLog({ triggerId: id, limit: 1 }))[0]!;

  describe('Label Studio bulk events (point 11)', () => {
    it('launches a second, different import into the same project; a repeat of one launches nothing', async () => {
      const first = await send(LABEL_STUDIO, labelStudio(tasksCreated([21, 22, 23])));
      const second = await send(LABEL_STUDIO, labelStudio(tasksCreated([24, 25])));
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.body!.run_id).not.toBe(first.body!.run_id);
      expect(await latest(LABEL_STUDIO)).toMatchObject({ outcome: 'accepted' });
      const again = await send(LABEL_STUDIO, labelStudio(tasksCreated([23, 21, 22])));
      expect(again.body!.run_id).toBe(first.body!.run_id);
      expect(await latest(LABEL_STUDIO)).toMatchObject({ outcome: 'duplicate' });
    });

    it('decodes ANNOTATIONS_CREATED (lists under annotation and task) and keys it on the annotations it carries', async () => {
      const first = await send(LABEL_STUDIO, labelStudio(annotationsCreated([17, 18])));
      expect(first.status).toBe(200);
      expect(await latest(LABEL_STUDIO)).toMatchObject({ outcome: 'accepted' });
      await send(LABEL_STUDIO, labelStudio(annotationsCreated([19])));
      expect(await latest(LABEL_STUDIO)).toMatchObject({ outcome: 'accepted' });
    });

    it('launches each bulk delete of different tasks or annotations', async () => {
      // TASKS_DELETED and ANNOTATIONS_DELETED carry only ids (labelstud.io/guide/webhook_reference).
      for (const [key, action] of [['tasks', 'TASKS_DELETED'], ['annotations', 'ANNOTATIONS_DELETED']] as const) {
        await send(LABEL_STUDIO, labelStudio({ action, [key]: [{ id: 18 }, { id: 19 }], project }));
        expect(await latest(LABEL_STUDIO)).toMatchObject({ outcome: 'accepted' });
        await send(LABEL_STUDIO, labelStudio({ action, [key]: [{ id: 20 }], project }));
        expect(await latest(LABEL_STUDIO)).toMatchObject({ outcome: 'accepted' });
      }
    });
  });

  describe('Grafana re-fires (point 12)', () => {
    it('launches an alert that fires again after resolving; the repeat interval re-send launches nothing', async () => {
      const firing = await send(GRAFANA, grafana(grafanaAlert('firing', '2026-11-28T09:51:03.157076+02:00')));
      expect(await latest(GRAFANA)).toMatchObject({ outcome: 'accepted', runId: firing.body!.run_id });
      await send(GRAFANA, grafana(grafanaAlert('firing', '2026-11-28T09:51:03.157076+02:00')));
      expect(await latest(GRAFANA)).toMatchObject({ outcome: 'duplicate' });
      await send(GRAFANA, grafana(grafanaAlert('resolved', '2026-11-28T09:51:03.157076+02:00', '2026-11-28T10:06:03+02:00')));
      expect(await latest(GRAFANA)).toMatchObject({ outcome: 'accepted' });
      const refire = await send(GRAFANA, grafana(grafanaAlert('firing', '2026-11-28T11:20:03.157076+02:00')));
      expect(refire.status).toBe(200);
      expect(refire.body!.run_id).not.toBe(firing.body!.run_id);
      expect(await latest(GRAFANA)).toMatchObject({ outcome: 'accepted' });
    });
  });

  describe('Slack app_rate_limited and Discord autocomplete (point 13)', () => {
    it('answers Slack app_rate_limited 200 as a handshake and launches nothing', async () => {
      // The payload from api.slack.com/events/app_rate_limited, signed like every Events API delivery.
      const body = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', type: 'app_rate_limited', team_id: 'T123456', minute_rate_limited: 1518467820, api_app_id: 'A123456' });
      const answer = await send(SLACK, slackRequest(body, 'slack-secret-01234', now(), 'application/json'));
      expect(answer.status).toBe(200);
      expect(await latest(SLACK)).toMatchObject({ outcome: 'handshake', status: 200, message: expect.stringContaining('app_rate_limited') });
      expect(await t.service.store.listLog({ triggerId: SLACK, outcome: 'accepted', limit: 1 })).toEqual([]);
    });

    it('answers a Discord autocomplete interaction with an autocomplete result (type 8), never a deferred message, and launches nothing', async () => {
      // Interaction type 4 = APPLICATION_COMMAND_AUTOCOMPLETE; its only valid callback is type 8,
      // APPLICATION_COMMAND_AUTOCOMPLETE_RESULT with data.choices (discord-interactions InteractionResponseType).
      const interaction = { id: 'ac-1', application_id: 'app1', type: 4, token: 'tok', version: 1, guild_id: 'g1', member: { user: { id: 'u1' } }, data: { name: 'predict', type: 1, options: [{ name: 'model', type: 3, value: 'res', focused: true }] } };
      const answer = await send(DISCORD, discordRequest(interaction, discordKey('fidelity-app'), now()));
      expect(answer).toEqual({ status: 200, body: { type: 8, data: { choices: [] } } });
      expect(await latest(DISCORD)).toMatchObject({ outcome: 'handshake' });
      expect(await t.service.store.listLog({ triggerId: DISCORD, outcome: 'accepted', limit: 1 })).toEqual([]);
    });
  });

  describe("body limits follow the provider's (point 14)", () => {
    // GitHub: "Payloads are capped at 25 MB" (docs.github.com, webhook events and payloads). A push
    // of 20 commits touching 3,000 files each (GitHub's per-array cap) passes 5 MiB.
    const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
    const push = examples.find((g) => g.name === 'push')!.examples.find((p) => String(p.ref).startsWith('refs/heads/') && !p.deleted)!;
    const bigPush = () => {
      const modified = Array.from({ length: 3000 }, (_, i) => `models/checkpoints/experiment-${String(i).padStart(5, '0')}/${'shard-'.repeat(16)}weights.safetensors`);
      const commits = Array.from({ length: 20 }, (_, i) => ({ id: String(i).padStart(40, 'a'), message: `checkpoint ${i}`, timestamp: '2026-11-28T10:00:00Z', added: [], removed: [], modified }));
      return { ...push, commits };
    };

    it('accepts a GitHub delivery over 5 MiB when the trigger sets no max_body_bytes', async () => {
      const request = await githubRequest(bigPush(), 'gh-secret-0123456', 'push', 'big-push-1');
      expect(Buffer.byteLength(request.body)).toBeGreaterThan(5 * MiB);
      const answer = await send(GITHUB, request);
      expect(answer.status).toBe(200);
      expect(await latest(GITHUB)).toMatchObject({ outcome: 'accepted' });
    });

    it("keeps a trigger's own max_body_bytes, and 5 MiB for a trigger without a connector", async () => {
      const limited = await send(GITHUB_LIMITED, await githubRequest(push, 'gh-secret-0123456', 'push', 'small-push-1'));
      expect(limited).toMatchObject({ status: 413, body: { error: { code: 'body_too_large', message: expect.stringContaining('limit of 1000 bytes') } } });
      // Declared, not sent: the limit is checked on Content-Length before any byte is read, and an
      // unread 5 MiB upload would keep the connection (and the server's close) busy.
      const generic = await declareOnly(t.url(GENERIC), 5 * MiB + 1);
      expect(generic).toMatchObject({ status: 413, body: { error: { code: 'body_too_large', message: expect.stringContaining(`limit of ${5 * MiB} bytes`) } } });
    });
  });

  describe("Datadog's default payload (point 15)", () => {
    // What Datadog posts when the webhook's payload is left empty (docs.datadoghq.com/integrations/webhooks).
    const defaultPayload = { body: '%%%\nModel drift above threshold\n%%%', last_updated: '1795000000000', event_type: 'query_alert_monitor', title: '[Triggered] Model drift', date: '1795000000000', org: { id: '123', name: 'Acme' }, id: '7571536720113209999' };
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const triggersJson = async () => ((await (await fetch(`${t.service.url}/api/v0/triggers/`, { headers: admin })).json()) as { triggers: Array<{ id: string; sender_problem: unknown }> }).triggers.find((x) => x.id === DATADOG)!;
    const pageHtml = async () => (await fetch(`${t.service.url}/ui/triggers/${DATADOG}`, { headers: admin })).text();

    it('answers it with the reason instead of a quiet 200, and flags the trigger in the admin API and on the page until a templated delivery passes', async () => {
      expect((await triggersJson()).sender_problem).toBeNull();
      const answer = await send(DATADOG, datadog(defaultPayload));
      expect(answer).toEqual({ status: 422, body: { error: { code: 'sender_misconfigured', message: expect.stringContaining("receives Datadog's default payload; set the template") } } });
      expect(await latest(DATADOG)).toMatchObject({ outcome: 'rejected', code: 'sender_misconfigured' });

      expect((await triggersJson()).sender_problem).toEqual({ message: expect.stringContaining("receives Datadog's default payload; set the template"), last_at: expect.any(Number) });
      expect(await pageHtml()).toMatch(/<p class="notice bad" role="alert">This trigger receives Datadog&#39;s default payload; set the template/);
      const index = await (await fetch(`${t.service.url}/ui/`, { headers: admin })).text();
      expect(index).toContain('⚠ receives Datadog&#39;s default payload; set the template');

      // The README's template: the flag goes once such a delivery arrives.
      const templated = await send(DATADOG, datadog({ id: '7571536720113210000', alert_id: '123', transition: 'Triggered', title: '[Triggered] Model drift', priority: 'P2', tags: 'env:prod', link: 'https://app.datadoghq.com/event/1', date: '1795000000000', query: 'avg(last_5m):avg:model.drift{env:prod} > 0.3' }));
      expect(templated.status).toBe(200);
      expect((await triggersJson()).sender_problem).toBeNull();
      expect(await pageHtml()).not.toContain('role="alert"');
    });
  });
});
