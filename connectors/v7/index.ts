/** V7 Darwin: workflow webhook-stage deliveries and team webhooks (`workflow_complete`), by stage token or team signature. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterV7 } from './filters.js';
import { v7Params, type V7Params } from './params.js';
import { parseV7 } from './parse.js';
import { v7Payload, type V7Payload } from './payload.js';
import { acceptedV7, ignoredV7 } from './respond.js';
import { describeV7Verification, sampleV7, signV7, verifyV7 } from './verify.js';
import { v7ParserHelpers } from './parser-helpers.js';

export const v7 = defineConnector<V7Params, V7Payload>({
  id: 'v7',
  title: 'V7 Darwin',
  params: v7Params,
  payload: v7Payload,
  encoding: 'json',
  parserHelpers: { python: v7ParserHelpers },
  // Not documented; answered in milliseconds regardless.
  ackDeadlineMs: 10_000,
  // The stage retries 5 times; a day covers them and a rework loop brings new annotations anyway.
  dedupeWindowSeconds: 86_400,
  sensitiveHeaders: ['authorization', 'v7-signature'],
  setup: {
    steps: 'V7 workflow → add a Webhook stage with URL = {url} and Authorization = the prefix followed by the secret (mode: token). For team webhooks (mode: signed) the team\'s webhook_signing_key is the secret.',
  },
  credentialHeaders: (params) => (params.mode === 'token' ? [params.header] : []),
  maxBodyBytes: 50 * 1024 * 1024, // no cap stated, but V7 warns video items make large payloads (docs.v7labs.com "Webhook Payload Format"); = the README's proxy limit
  verify: verifyV7,
  verification: describeV7Verification,
  sign: signV7,
  sample: sampleV7,
  parse: parseV7,
  filter: filterV7,
  ignored: ignoredV7,
  accepted: acceptedV7,
});
