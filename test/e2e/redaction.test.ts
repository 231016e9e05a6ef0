/**
 * Credentials never reach any log surface (issue #11, point 3): the trigger log as the admin API,
 * the web page and `logs --json` show it, and the service log — for requests to a known trigger
 * and to an unknown id alike.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const DATADOG = '0190fe82-0000-7000-8000-00000000d0d0';
const LABEL_STUDIO = '0190fe82-0000-7000-8000-00000000d0d1';
const ADMIN = 'admin-token-for-the-redaction-tests';
const DD_TOKEN = 'dd-token-value-0123456789';
const LS_TOKEN = 'ls-token-value-0123456789';
const SECRETS = [
  DD_TOKEN,
  LS_TOKEN,
  'gitlab-token-value-0123456789',
  'sha256=hub-signature-value-0123456789',
  'proxy-credentials-0123456789',
  'query-token-value-0123456789',
  'api-key-value-0123456789',
  'custom-credential-header-0123456789',
];

describe('redaction on every log surface', () => {
  let t: TestService;
  const serviceLog: string[] = [];

  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (serviceLog.push(String(chunk)), done()) }));
    t = await startTestService(
      '- step: {name: ok, image: x, command: "true"}\n',
      `server: {admin_token: ${ADMIN}}
triggers:
  - id: ${DATADOG}
    connector: {type: datadog, secret: ${DD_TOKEN}, header: X-DD-Token, prefix: ""}
    actions: [{type: run-execution, step: ok}]
  - id: ${LABEL_STUDIO}
    connector: {type: label-studio, secret: ${LS_TOKEN}, header: X-Monitor-Key, prefix: ""}
    actions: [{type: run-execution, step: ok}]
`,
      { service: { logger } },
    );
  });
  afterAll(() => t.close());

  it('redacts credential headers and query parameters wherever a request is logged', async () => {
    const credentialHeaders = {
      'x-gitlab-token': SECRETS[2]!,
      'x-hub-signature-256': SECRETS[3]!,
      'proxy-authorization': SECRETS[4]!,
      'x-api-key': SECRETS[6]!,
    };
    const query = `?token=${SECRETS[5]}&access_token=${SECRETS[5]}&page=2`;
    // A wrong token on each trigger (the configured one in a header the trigger reads), and an unknown id.
    const sent = [
      fetch(`${t.url(DATADOG)}${query}`, { method: 'POST', headers: { ...credentialHeaders, 'x-dd-token': DD_TOKEN.replace('0', '1') + DD_TOKEN }, body: '{}' }),
      fetch(`${t.url(LABEL_STUDIO)}${query}`, { method: 'POST', headers: { ...credentialHeaders, 'x-monitor-key': `${LS_TOKEN}-and-more ${SECRETS[7]}` }, body: '{}' }),
      fetch(`${t.service.url}/api/v0/launch/no-such-trigger-0123456789/${query}`, { method: 'POST', headers: { ...credentialHeaders, 'x-dd-token': DD_TOKEN }, body: '{}' }),
    ];
    const statuses = (await Promise.all(sent)).map((r) => r.status);
    expect(statuses).toEqual([400, 400, 404]);

    const get = async (path: string) => (await fetch(`${t.service.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    const entries = await t.service.store.listLog({ limit: 100 });
    expect(entries).toHaveLength(3);
    const surfaces: Record<string, string> = {
      'logs --json (the stored rows)': JSON.stringify(entries),
      'admin API log': await get('/api/v0/logs/?limit=100'),
      'admin API trigger logs': (await get(`/api/v0/triggers/${DATADOG}/logs/`)) + (await get(`/api/v0/triggers/${LABEL_STUDIO}/logs/`)),
      'admin API request detail': (await Promise.all(entries.map((e) => get(`/api/v0/requests/${e.requestId}/`)))).join('\n'),
      'web page trigger': (await get(`/ui/triggers/${DATADOG}`)) + (await get(`/ui/triggers/${LABEL_STUDIO}`)),
      'web page request': (await Promise.all(entries.map((e) => get(`/ui/requests/${e.requestId}`)))).join('\n'),
      'service log': serviceLog.join(''),
    };
    for (const [surface, text] of Object.entries(surfaces)) {
      for (const secret of SECRETS) expect(text, `${surface} shows ${secret}`).not.toContain(secret.replace('sha256=', ''));
    }
    for (const entry of entries) {
      expect(entry.headers).toMatchObject({ 'x-gitlab-token': '[redacted]', 'x-hub-signature-256': '[redacted]', 'proxy-authorization': '[redacted]', 'x-api-key': '[redacted]' });
      expect(entry.path).toContain('token=%5Bredacted%5D');
      expect(entry.path).toContain('access_token=%5Bredacted%5D');
      expect(entry.path).toContain('page=2');
    }
    expect(entries.find((e) => e.triggerId === DATADOG)!.headers['x-dd-token']).toBe('[redacted]');
    // Named only by the trigger's params, not by any naming convention.
    expect(entries.find((e) => e.triggerId === LABEL_STUDIO)!.headers['x-monitor-key']).toBe('[redacted]');
  });
});
