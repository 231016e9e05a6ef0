/** Datadog monitors' webhooks: a header token, a fixed payload template, transition/priority/tag filters. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterDatadog } from './filters.js';
import { datadogParams, type DatadogParams } from './params.js';
import { parseDatadog } from './parse.js';
import { datadogPayload, type DatadogPayload } from './payload.js';
import { acceptedDatadog, ignoredDatadog } from './respond.js';
import { describeDatadogVerification, sampleDatadog, signDatadog, verifyDatadog } from './verify.js';

export const datadog = defineConnector<DatadogParams, DatadogPayload>({
  id: 'datadog',
  title: 'Datadog',
  params: datadogParams,
  payload: datadogPayload,
  encoding: 'json',
  ackDeadlineMs: 15_000,
  dedupeWindowSeconds: 86_400,
  sensitiveHeaders: ['authorization'],
  setup: {
    steps: 'Integrations → Webhooks → New: URL = {url}, the payload from the README, custom headers {"Authorization": "Bearer <secret>"}; mention @webhook-<name> in the monitors that should launch.',
  },
  credentialHeaders: (params) => [params.header],
  verify: verifyDatadog,
  verification: describeDatadogVerification,
  parse: parseDatadog,
  filter: filterDatadog,
  ignored: ignoredDatadog,
  accepted: acceptedDatadog,
  sign: signDatadog,
  sample: sampleDatadog,
});
