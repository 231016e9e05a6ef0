import type { Delivery } from '../../core/connector-kit.js';
import type { GrafanaParams } from './params.js';
import type { GrafanaPayload } from './payload.js';

export function filterGrafana({ payload }: Delivery<GrafanaPayload>, params: GrafanaParams): string | undefined {
  if (!(params.statuses as string[]).includes(payload.status)) return `status ${payload.status} is not one of ${params.statuses.join(', ')}`;
  for (const [name, value] of Object.entries(params.labels ?? {})) {
    const matches = payload.commonLabels?.[name] === value || (payload.alerts.length > 0 && payload.alerts.every((a) => a.labels[name] === value));
    if (!matches) return `label ${name}=${value} does not match`;
  }
  return undefined;
}
