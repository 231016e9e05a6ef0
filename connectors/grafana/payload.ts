/** Grafana's webhook notification (version 1). */
import { z } from 'zod';

const labels = z.record(z.string(), z.string());

export const grafanaPayload = z.looseObject({
  receiver: z.string().optional(),
  status: z.string().describe('firing or resolved'),
  orgId: z.number().optional(),
  alerts: z.array(
    z.looseObject({
      status: z.string(),
      labels,
      annotations: labels.optional(),
      startsAt: z.string().optional(),
      endsAt: z.string().optional(),
      fingerprint: z.string().optional(),
      generatorURL: z.string().optional(),
      values: z.record(z.string(), z.number()).nullable().optional(),
    }),
  ),
  groupLabels: labels.optional(),
  commonLabels: labels.optional(),
  commonAnnotations: labels.optional(),
  externalURL: z.string().optional(),
  groupKey: z.string().optional(),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
});

export type GrafanaPayload = z.output<typeof grafanaPayload>;
