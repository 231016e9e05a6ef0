import { parseJsonPayload, type Delivery, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import { grafanaPayload, type GrafanaPayload } from './payload.js';

export function parseGrafana(req: RawRequest): Verdict<Delivery<GrafanaPayload>> {
  const payload = parseJsonPayload(req, grafanaPayload, 'Grafana webhook');
  if (!payload.ok) return payload;
  // The same alert group and state re-sent by Alertmanager is one delivery.
  const fingerprints = payload.value.alerts.map((a) => a.fingerprint ?? '').sort().join(',');
  return { ok: true, value: { payload: payload.value, kind: payload.value.status, deliveryId: `${payload.value.groupKey ?? ''}:${payload.value.status}:${fingerprints}` } };
}
