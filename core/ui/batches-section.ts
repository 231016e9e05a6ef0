/**
 * Batches on the web page (issue #17): the trigger page's section of batches not launched yet
 * (key, items, age, when each closes, why a held one waits) with a Close-now button for operators
 * (a plain form POST, CSRF-checked by requireRole like every page write), the batches launched
 * lately with their runs, and a batched request's batch in its detail.
 */
import type { Response } from 'express';
import type { TriggerConfig } from '../config/schema.js';
import { formatAge } from './format-age.js';
import type { BatchRecord, Store } from '../store/store.js';
import { describeBatch, type DescribedBatch } from '../triggers/describe-batch.js';
import { html, time, type Html } from './html.js';

/** How many launched batches the trigger page lists under the waiting ones. */
const RECENT_LAUNCHED = 5;

export function deliveries(n: number): string {
  return n === 1 ? '1 delivery' : `${n} deliveries`;
}

export function runLink(runId: string): Html {
  return html`<a href="/ui/runs/${encodeURIComponent(runId)}"><code>${runId}</code></a>`;
}

export async function batchesSection(store: Store, trigger: { readonly id: string; readonly config: TriggerConfig }, nowMs: number, closeForm: ((batchId: string) => Html) | undefined): Promise<Html> {
  const [waiting, launched] = await Promise.all([
    store.listBatches({ triggerId: trigger.id, states: ['open', 'held'], limit: 100 }),
    store.listBatches({ triggerId: trigger.id, states: ['launched'], limit: RECENT_LAUNCHED }),
  ]);
  if (!trigger.config.batch && waiting.length === 0 && launched.length === 0) return html``;
  const row = (batch: BatchRecord): Html => {
    const shown = describeBatch(batch);
    return html`<tr data-batch="${shown.id}">
      <td><code>${shown.key === '' ? '—' : shown.key}</code><br><span class="muted"><code>${shown.id}</code></span></td>
      <td>${shown.items} / ${shown.max_items}</td>
      <td>${formatAge(nowMs - batch.openedAtMs)} <span class="muted">(${time(batch.openedAtMs)})</span></td>
      <td>${batch.state === 'held' ? html`<span class="warn" role="note">held: ${shown.note ?? 'waiting to launch'}</span><br><span class="muted">tried again</span> ` : ''}${time(batch.closesAtMs)}</td>
      <td>${closeForm ? closeForm(shown.id) : ''}</td>
    </tr>`;
  };
  return html`<h2 id="batches">Batches</h2>
    <table aria-label="Batches not launched yet"><thead><tr><th scope="col">Key</th><th scope="col">Items</th><th scope="col">Age</th><th scope="col">Closes by</th><th scope="col"></th></tr></thead>
    <tbody>${waiting.map(row)}</tbody></table>
    ${waiting.length === 0 ? html`<p class="muted" id="no-open-batches">No batch is waiting to launch.</p>` : ''}
    ${launched.length
      ? html`<p class="muted">Launched lately:</p><ul id="launched-batches">${launched.map((b) => {
          const shown = describeBatch(b);
          return html`<li><code>${shown.key === '' ? '—' : shown.key}</code>: ${deliveries(shown.items)}, ${time(b.closedAtMs)} (${shown.close_reason}), run ${runLink(shown.run_id)}</li>`;
        })}</ul>`
      : ''}`;
}

/** A batched delivery's batch, for its request detail: where it waits, or the run it launched with. */
export function batchOfRequest(batch: DescribedBatch, message: string | undefined): Html {
  const place = /^item (\d+) of batch /.exec(message ?? '')?.[1];
  const head = html`<code>${batch.id}</code>${batch.key === '' ? '' : html`, key <code>${batch.key}</code>`}${place ? `, item ${place} of ${batch.items}` : `, ${batch.items} items`}`;
  if (batch.state === 'launched') return html`${head} — launched ${time(Date.parse(batch.closed_at!))} (${batch.close_reason}) as run ${runLink(batch.run_id)}`;
  if (batch.state === 'held') return html`${head} — <span class="warn">held: ${batch.note ?? ''}</span>`;
  return html`${head} — open, launches by ${time(Date.parse(batch.closes_by!))}`;
}

/** The Close-now button of one batch (operators). */
export function closeBatchForm(res: Response, csrfField: (res: Response) => Html): (batchId: string) => Html {
  return (batchId) => html`<form method="post" action="/ui/batches/${encodeURIComponent(batchId)}/close" class="inline">${csrfField(res)}<button type="submit" aria-label="Close batch ${batchId} now">Close now</button></form>`;
}
