import { parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { grafanaPayload, type GrafanaPayload } from './payload.js';

export function parseGrafana(req: RawRequest): Verdict<Delivery<GrafanaPayload>> {
  const payload = parseJsonPayload(req, grafanaPayload, 'Grafana webhook');
  if (!payload.ok) return payload;
  // The same alert group and state re-sent at the repeat interval is one delivery. Each alert's
  // startsAt is part of the key: an alert that resolves and fires again starts anew (a new
  // startsAt), so the re-fire launches instead of being taken for a repeat of the first.
  const alerts = payload.value.alerts.map((a) => `${a.fingerprint ?? ''}@${a.startsAt ?? ''}`).sort().join(',');
  return { ok: true, value: { payload: payload.value, kind: payload.value.status, deliveryId: `${payload.value.groupKey ?? ''}:${payload.value.status}:${alerts}` } };
}
