/**
 * The admin API's batch routes (issue #17): list batches, read one with its run once launched, and
 * close one now (`hooklaunch batch close`, the page's Close-now button). Every batch is shown in
 * describeBatch's one shape. Closing goes through the service's closer (ctx.closeBatch), so a
 * manual close is decided in the store like any other: exactly once, rate limits still applying.
 */
import express, { type RequestHandler } from 'express';
import { summariseRun, type RunSummary } from '../launch/run-status.js';
import { reject, type Rejection } from '../reject.js';
import type { BatchState } from '../store/store.js';
import { describeBatch, type DescribedBatch } from '../triggers/describe-batch.js';
import type { AdminRole } from '../config/schema.js';
import type { HttpContext } from './context.js';
import { sendRejection } from './respond.js';

const STATES: readonly BatchState[] = ['open', 'held', 'launched'];
const MAX_LIMIT = 1000;

/** A batch with its run's summary once it launched (null before). */
export interface BatchView {
  readonly batch: DescribedBatch;
  /** Its deliveries in arrival order (each is a request of the trigger log). */
  readonly items: ReadonlyArray<{ readonly position: number; readonly request_id: string; readonly received_at: string; readonly content_type: string; readonly size_bytes: number }>;
  readonly run: (Pick<RunSummary, 'status' | 'errors'> & { readonly run_id: string }) | null;
}

export async function batchView(ctx: Pick<HttpContext, 'store'>, batchId: string): Promise<BatchView | undefined> {
  const batch = await ctx.store.getBatch(batchId);
  if (!batch) return undefined;
  const run = batch.state === 'launched' ? await ctx.store.getRun(batch.runId) : undefined;
  const summary = run && summariseRun(run);
  const items = (await ctx.store.batchItems(batchId)).map((i) => ({ position: i.position, request_id: i.requestId, received_at: new Date(i.receivedAtMs).toISOString(), content_type: i.contentType, size_bytes: i.sizeBytes }));
  return { batch: describeBatch(batch), items, run: summary ? { run_id: batch.runId, status: summary.status, errors: summary.errors } : null };
}

/**
 * The batch whose run this is, described; the views of a run and of a batched request add it
 * (trigger-log/describe.ts sits below the triggers layer, so the batch is joined here).
 */
export async function batchOfRun(store: HttpContext['store'], runId: string | undefined): Promise<DescribedBatch | undefined> {
  const batch = runId === undefined ? undefined : await store.batchOfRun(runId);
  return batch && describeBatch(batch);
}

/**
 * What a manual close did, as the API answers it: `launched` (with the run), `held` (a rate limit
 * or a paused trigger: why, and when it is tried again), `already_launched` (with the run it
 * launched), or a refusal (no such batch; no closer in this process).
 */
export type CloseAnswer =
  | { readonly ok: true; readonly json: { readonly outcome: 'launched' | 'held' | 'already_launched'; readonly run_id: string; readonly message: string; readonly batch: DescribedBatch | null } }
  | { readonly ok: false; readonly rejection: Rejection };

export async function closeBatchNow(ctx: Pick<HttpContext, 'store' | 'closeBatch'>, batchId: string): Promise<CloseAnswer> {
  const notFound: CloseAnswer = { ok: false, rejection: reject('batch_not_found', `no batch ${JSON.stringify(batchId.slice(0, 64))}`) };
  if (!ctx.closeBatch) return { ok: false, rejection: reject('internal_error', 'this instance does not close batches') };
  const outcome = await ctx.closeBatch(batchId);
  if (outcome.kind === 'not_found') return notFound;
  const after = await ctx.store.getBatch(batchId);
  const batch = after ? describeBatch(after) : null;
  const runId = after?.runId ?? '';
  switch (outcome.kind) {
    case 'launched':
      return { ok: true, json: { outcome: 'launched', run_id: outcome.runId, message: `launched run ${outcome.runId} with ${outcome.items} ${outcome.items === 1 ? 'delivery' : 'deliveries'}`, batch } };
    case 'held':
      return { ok: true, json: { outcome: 'held', run_id: runId, message: outcome.message, batch } };
    case 'not_open':
    case 'not_due':
      // A manual close is never `not_due`; `not_open` is a batch launched already (by its time, another instance or an earlier close).
      return { ok: true, json: { outcome: 'already_launched', run_id: runId, message: `already launched as run ${runId}`, batch } };
  }
}

export function createBatchRoutes(ctx: HttpContext, requireRole: (role: AdminRole) => RequestHandler): express.Router {
  const router = express.Router();

  router.get('/api/v0/batches{/}', requireRole('viewer'), async (req, res) => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return void sendRejection(res, reject('payload_invalid', `limit must be an integer from 1 to ${MAX_LIMIT}`));
    const states = req.query.state === undefined ? undefined : String(req.query.state).split(',');
    if (states?.some((s) => !(STATES as readonly string[]).includes(s))) return void sendRejection(res, reject('payload_invalid', `state must be ${STATES.join(', ')} (or several, comma-separated)`));
    const triggerId = req.query.trigger === undefined ? undefined : String(req.query.trigger);
    const batches = await ctx.store.listBatches({ triggerId, states: states as BatchState[] | undefined, limit });
    res.json({ batches: batches.map(describeBatch) });
  });

  router.get('/api/v0/batches/:id{/}', requireRole('viewer'), async (req, res) => {
    const view = await batchView(ctx, String(req.params.id));
    if (!view) return void sendRejection(res, reject('batch_not_found', 'no such batch'));
    res.json(view);
  });

  router.post('/api/v0/batches/:id/close{/}', requireRole('operator'), async (req, res) => {
    const closed = await closeBatchNow(ctx, String(req.params.id));
    if (!closed.ok) return void sendRejection(res, closed.rejection);
    res.json(closed.json);
  });

  return router;
}
