/** Label Studio: header token, action and project filters; answered well inside its 1 s timeout. */
import { defineConnector } from '../../core/connector-kit.js';
import { filterLabelStudio } from './filters.js';
import { labelStudioParams, type LabelStudioParams } from './params.js';
import { parseLabelStudio } from './parse.js';
import { labelStudioPayload, type LabelStudioPayload } from './payload.js';
import { acceptedLabelStudio, ignoredLabelStudio } from './respond.js';
import { describeLabelStudioVerification, sampleLabelStudio, signLabelStudio, verifyLabelStudio } from './verify.js';

export const labelStudio = defineConnector<LabelStudioParams, LabelStudioPayload>({
  id: 'label-studio',
  title: 'Label Studio',
  params: labelStudioParams,
  payload: labelStudioPayload,
  encoding: 'json',
  // WEBHOOK_TIMEOUT defaults to 1 s and the open-source version never retries.
  ackDeadlineMs: 1000,
  dedupeWindowSeconds: 86_400,
  sensitiveHeaders: ['authorization'],
  setup: {
    steps: 'Project → Settings → Webhooks → URL = {url}, headers {"Authorization": "Token <secret>"}, send payload on, and the actions the trigger lists.',
  },
  credentialHeaders: (params) => [params.header],
  verify: verifyLabelStudio,
  verification: describeLabelStudioVerification,
  parse: parseLabelStudio,
  filter: filterLabelStudio,
  ignored: ignoredLabelStudio,
  accepted: acceptedLabelStudio,
  sign: signLabelStudio,
  sample: sampleLabelStudio,
});
