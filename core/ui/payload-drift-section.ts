/**
 * The trigger page's "Payload drift": fields and types in the trigger's recent accepted payloads
 * that its payload_schema does not know (new fields pass the door, as they pass the parsers),
 * each with the requests that carried it, so a stale schema and parser show before code breaks.
 * Generic triggers only: a connector's payload is checked against the connector's own schema.
 */
import { recentDrift } from '../codegen/recent-drift.js';
import type { JsonSchema } from '../codegen/schema-model.js';
import type { TriggerConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { html, type Html } from './html.js';

/** Request links shown per drift line, and lines shown; the rest are counted (a payload may hold any number of new keys). */
const SHOWN_REQUESTS = 5;
const SHOWN_LINES = 50;

export async function payloadDriftSection(store: Store, trigger: { readonly id: string; readonly config: TriggerConfig; readonly connector?: unknown }): Promise<Html> {
  const schema = trigger.config.payload_schema;
  if (trigger.connector !== undefined || schema === undefined || typeof schema === 'string') return html``;
  const { checked, drift } = await recentDrift(store, trigger.id, schema as JsonSchema);
  if (drift.length === 0) {
    return html`<h2>Payload drift</h2><p class="muted" id="payload-drift">None: ${checked} recent accepted payload${checked === 1 ? '' : 's'} checked against the trigger's payload_schema.</p>`;
  }
  return html`<h2>Payload drift</h2>
    <p>Recent accepted payloads carry what the payload_schema does not know: update the schema, then <code>hooklaunch codegen --trigger ${trigger.id}</code> (<code>--check</code> in CI).</p>
    <table id="payload-drift"><thead><tr><th scope="col">Field</th><th scope="col">What</th><th scope="col">Requests</th></tr></thead>
    <tbody>${drift.slice(0, SHOWN_LINES).map(
      (d) =>
        html`<tr><td><code>${d.path}</code></td><td>${d.problem}</td><td>${d.requestIds.slice(0, SHOWN_REQUESTS).map((id, i) => html`${i > 0 ? ', ' : ''}<a href="/ui/requests/${id}"><code>${id}</code></a>`)}${
          d.requestIds.length > SHOWN_REQUESTS ? html` and ${d.requestIds.length - SHOWN_REQUESTS} more` : ''
        }</td></tr>`,
    )}</tbody></table>
    ${drift.length > SHOWN_LINES ? html`<p class="muted">and ${drift.length - SHOWN_LINES} more; <code>hooklaunch codegen --trigger ${trigger.id} --check</code> lists them all.</p>` : ''}`;
}
