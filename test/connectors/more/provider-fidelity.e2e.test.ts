/**
 * Provider fidelity (issue #11, points 11–15) through the real server: bulk Label Studio events,
 * Grafana re-fires, Slack app_rate_limited, Discord autocomplete, provider body limits and
 * Datadog's default payload. Payloads follow the providers' own documentation, cited per case.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordKey, discordRequest, githubRequest, slackRequest, type SignedRequest } from '../../helpers/provider-requests.js';
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
const grafana = (payload: unknown): SignedRequest => {
  const body = JSON.stringify(payload);
  return { body, headers: { 'content-type': 'application/json', 'x-grafana-alerting-signature': createHmac('sha256', 'grafana-secret').update(body).digest('hex') } };
};
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

describe('provider fidelity through the real server', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService(
      '- step: {name: noop, image: x, command: "true"}\n',
      `
server: {admin_token: ${ADMIN_TOKEN}}
triggers:
  - {id: ${LABEL_STUDIO}, connector: {type: label-studio, secret: ls-token}, ${action}}
  - {id: ${GRAFANA}, connector: {type: grafana, secret: grafana-secret, statuses: [firing, resolved]}, ${action}}
  - {id: ${SLACK}, connector: {type: slack, secret: slack-secret, follow_up: false}, ${action}}
  - {id: ${DISCORD}, connector: {type: discord, public_key: ${discordKey('fidelity-app').publicHex}, follow_up: false}, ${action}}
  - {id: ${DATADOG}, title: Drift alerts, connector: {type: datadog, secret: dd-token}, ${action}}
  - {id: ${GITHUB}, connector: {type: github, secret: gh-secret}, ${action}}
  - {id: ${GITHUB_LIMITED}, connector: {type: github, secret: gh-secret}, max_body_bytes: 1000, ${action}}
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
      const request = await githubRequest(bigPush(), 'gh-secret', 'push', 'big-push-1');
      expect(Buffer.byteLength(request.body)).toBeGreaterThan(5 * MiB);
      const answer = await send(GITHUB, request);
      expect(answer.status).toBe(200);
      expect(await latest(GITHUB)).toMatchObject({ outcome: 'accepted' });
    });

    it("keeps a trigger's own max_body_bytes, and 5 MiB for a trigger without a connector", async () => {
      const limited = await send(GITHUB_LIMITED, await githubRequest(push, 'gh-secret', 'push', 'small-push-1'));
      expect(limited).toMatchObject({ status: 413, body: { error: { code: 'body_too_large', message: expect.stringContaining('limit of 1000 bytes') } } });
      const generic = await send(GENERIC, { body: 'x'.repeat(5 * MiB + 1), headers: { 'content-type': 'text/plain' } });
      expect(generic).toMatchObject({ status: 413, body: { error: { code: 'body_too_large', message: expect.stringContaining(`limit of ${5 * MiB} bytes`) } } });
    });
  });
});
