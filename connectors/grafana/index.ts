/** Grafana alerting webhook contact points: bearer, basic or HMAC; status and label filters. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterGrafana } from './filters.js';
import { grafanaParams, type GrafanaParams } from './params.js';
import { parseGrafana } from './parse.js';
import { grafanaPayload, type GrafanaPayload } from './payload.js';
import { acceptedGrafana, ignoredGrafana } from './respond.js';
import { describeGrafanaVerification, sampleGrafana, signGrafana, verifyGrafana } from './verify.js';

export const grafana = defineConnector<GrafanaParams, GrafanaPayload>({
  id: 'grafana',
  title: 'Grafana',
  params: grafanaParams,
  payload: grafanaPayload,
  encoding: 'json',
  ackDeadlineMs: 10_000,
  // Alertmanager re-sends a group at its repeat interval (hours): a day keeps one launch per state.
  dedupeWindowSeconds: 86_400,
  sensitiveHeaders: ['x-grafana-alert-signature', 'x-grafana-alerting-signature'],
  setup: {
    steps: 'Alerting → Contact points → Webhook: URL = {url}, HMAC signature secret = the trigger\'s secret (header names matching signature_header and timestamp_header), or an Authorization header with auth: bearer | basic.',
  },
  credentialHeaders: (params) => (params.signature_header === undefined ? [] : [params.signature_header]),
  verify: verifyGrafana,
  verification: describeGrafanaVerification,
  parse: parseGrafana,
  filter: filterGrafana,
  ignored: ignoredGrafana,
  accepted: acceptedGrafana,
  sign: signGrafana,
  sample: sampleGrafana,
});
