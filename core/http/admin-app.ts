/**
 * Admin and operator routes (not the webhook hot path), on express: health, metrics, the
 * trigger-log API, replay, test requests and the web page. Everything but health needs an admin
 * token (`Authorization: Bearer <token>`, or the web page's session) with the route's role:
 * reads need viewer, replay, test requests and closing a batch operator (see admin-auth.ts).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { LOG_OUTCOMES, type LogOutcome } from '../store/store.js';
import { reject } from '../reject.js';
import { sendRejection } from './respond.js';
import { describeActions, describeConditions, requestDetail, runDetail } from '../trigger-log/describe.js';
import { readTriggerLog } from '../trigger-log/read-trigger-log.js';
import { senderProblem } from '../trigger-log/sender-problem.js';
import { replayRequest } from '../triggers/replay-request.js';
import { adminIdentity, createAdminAuth, type AdminAuth } from './admin-auth.js';
import type { HttpContext } from './context.js';
import { sendTestRequest } from './test-request.js';
import { createTriggerRoutes } from './trigger-routes.js';
import { batchOfRun, createBatchRoutes } from './batch-routes.js';
import type { ReloadStatus } from '../triggers/live-triggers.js';

const OUTCOMES = new Set<string>(LOG_OUTCOMES);

/**
 * The web page's router, mounted under /ui. Passed in by the service (the page sits above the
 * HTTP layer: it renders what this layer serves, so this layer does not import it).
 */
export type PagesRouter = (ctx: HttpContext, auth: AdminAuth) => express.Router;

export function createAdminApp(ctx: HttpContext, pages?: PagesRouter): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const auth = createAdminAuth(ctx.adminTokens, { publicUrl: ctx.publicUrl, logger: ctx.logger });
  const { requireRole } = auth;

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = ctx.ready ? await ctx.ready() : { ok: true, detail: 'ready' };
    res.status(ready.ok ? 200 : 503).json(ready);
  });

  if (pages) app.use('/ui', pages(ctx, auth));

  app.get('/metrics', requireRole('viewer'), async (_req, res) => {
    const metrics = ctx.metrics;
    if (!metrics) return void res.status(404).end();
    res.set('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/api/v0/triggers{/}', requireRole('viewer'), async (_req, res) => {
    const stats = new Map((await ctx.store.triggerStats(ctx.clock.now() - 86_400_000)).map((s) => [s.triggerId, s]));
    const triggers = ctx.triggers.all();
    const problems = await Promise.all(triggers.map((t) => senderProblem(ctx.store, t.id)));
    res.json({
      triggers: triggers.map((t, i) => ({
        id: t.id,
        title: t.title,
        url: `${ctx.publicUrl ?? ''}/api/v0/launch/${t.id}/`,
        connector: t.connector?.connector.id ?? null,
        conditions: describeConditions(t.config, t.connector),
        actions: describeActions(t.config),
        last_request_at: stats.get(t.id)?.lastAtMs ?? null,
        last_24h: stats.get(t.id)?.counts ?? null,
        // Set while the sender is set up so that nothing it sends can launch (e.g. Datadog's default payload).
        sender_problem: problems[i] ? { message: problems[i].message, last_at: problems[i].lastAtMs } : null,
        managed_by: t.source.kind,
        ...(t.source.kind === 'file' && { file: t.source.file, line: t.source.line ?? null }),
        revision: t.revision,
        paused: t.paused,
      })),
      // Stored triggers this instance cannot serve (a sealed secret that does not open, a missing variable), and why.
      not_served: ctx.liveTriggers?.notServed() ?? [],
      // The last reload of hooklaunch.yaml (SIGHUP / hooklaunch reload): a refused one names every issue with its line.
      reload: reloadJson(ctx.liveTriggers?.lastReload()),
    });
  });

  if (ctx.liveTriggers) app.use(createTriggerRoutes(ctx, ctx.liveTriggers, requireRole));

  app.use(createBatchRoutes(ctx, requireRole));

  app.get('/api/v0/triggers/:id/logs{/}', requireRole('viewer'), async (req, res) => {
    const id = String(req.params.id);
    if (!ctx.triggers.has(id)) return void res.status(404).json({ error: { code: 'trigger_not_found', message: `no trigger with id ${JSON.stringify(id)}` } });
    const limit = Number(req.query.limit ?? 100);
    const outcome = req.query.outcome === undefined ? undefined : String(req.query.outcome);
    const after = req.query.after === undefined ? undefined : Number(req.query.after);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return void res.status(400).json({ error: { code: 'payload_invalid', message: 'limit must be an integer from 1 to 10000' } });
    if (outcome !== undefined && !OUTCOMES.has(outcome)) return void res.status(400).json({ error: { code: 'payload_invalid', message: `outcome must be one of ${[...OUTCOMES].join(', ')}` } });
    if (after !== undefined && !Number.isInteger(after)) return void res.status(400).json({ error: { code: 'payload_invalid', message: 'after must be a sequence number' } });
    const code = req.query.code === undefined ? undefined : String(req.query.code);
    res.json({ entries: await readTriggerLog(ctx.store, ctx.rejections, { triggerId: id, limit, outcome: outcome as LogOutcome | undefined, code, afterSeq: after }) });
  });

  app.get('/api/v0/logs{/}', requireRole('viewer'), async (req, res) => {
    const limit = Math.min(10_000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    const outcome = req.query.outcome === undefined ? undefined : String(req.query.outcome);
    if (outcome !== undefined && !OUTCOMES.has(outcome)) return void res.status(400).json({ error: { code: 'payload_invalid', message: `outcome must be one of ${[...OUTCOMES].join(', ')}` } });
    const after = req.query.after === undefined ? undefined : Number(req.query.after);
    const triggerId = req.query.trigger === undefined ? undefined : String(req.query.trigger);
    res.json({ entries: await readTriggerLog(ctx.store, ctx.rejections, { triggerId, limit, outcome: outcome as LogOutcome | undefined, afterSeq: Number.isInteger(after) ? after : undefined }) });
  });

  app.get('/api/v0/requests/:id{/}', requireRole('viewer'), async (req, res) => {
    const detail = await requestDetail(ctx.store, ctx.rejections, ctx.redaction, String(req.params.id));
    if (!detail) return void sendRejection(res, reject('request_not_found', 'no such request in the trigger log'));
    // A batched delivery (issue #17): its batch, and through it the run it launched (or will) with.
    const batch = detail.entry.outcome === 'batched' ? await batchOfRun(ctx.store, detail.entry.runId) : undefined;
    res.json({ ...detail, ...(batch && { batch }) });
  });

  app.post('/api/v0/requests/:id/replay{/}', requireRole('operator'), async (req, res) => {
    const result = await replayRequest(ctx, String(req.params.id));
    if (!result.ok) return void sendRejection(res, result.rejection);
    res.json({ request_id: result.requestId, replay_of: result.replayOf, outcome: result.handled.outcome, code: result.handled.code ?? null, run_id: result.handled.runId ?? null, answer: result.handled.answer });
  });

  app.get('/api/v0/runs/:id{/}', requireRole('viewer'), async (req, res) => {
    const [detail, batch] = await Promise.all([runDetail(ctx.store, String(req.params.id)), batchOfRun(ctx.store, String(req.params.id))]);
    if (!detail) return void res.status(404).json({ error: { code: 'run_not_found', message: 'no such run' } });
    // The run of a batch (issue #17) names it: its deliveries launched together.
    res.json({ ...detail, ...(batch && { batch }) });
  });

  // Stops the run's unfinished executions where they run (the local runner is in this process) and its unlaunched actions.
  app.post('/api/v0/runs/:id/cancel{/}', requireRole('operator'), async (req, res) => {
    const outcome = await ctx.cancelRun?.(String(req.params.id), adminIdentity(res).name);
    if (!outcome) return void res.status(404).json({ error: { code: 'run_not_found', message: 'no such run' } });
    res.json({ run_id: outcome.runId, items: outcome.items.map((item) => ({ id: item.id, what: item.what, outcome: item.outcome, ...(item.message !== undefined && { message: item.message }) })) });
  });

  app.post('/api/v0/triggers/:id/test{/}', requireRole('operator'), express.json({ limit: '5mb' }), async (req, res) => {
    const trigger = ctx.triggers.get(String(req.params.id));
    if (!trigger) return void res.status(404).json({ error: { code: 'trigger_not_found', message: 'no such trigger' } });
    const body = req.body as { body?: unknown; content_type?: unknown } | undefined;
    const result = await sendTestRequest(trigger, ctx.selfUrl?.() ?? '', typeof body?.body === 'string' ? body.body : undefined, typeof body?.content_type === 'string' ? body.content_type : undefined);
    res.status(result.error ? 422 : 200).json(result);
  });

  app.use((_req: Request, res: Response) => {
    sendRejection(res, reject('route_not_found', 'no such route'));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    ctx.logger.error({ err: error }, 'admin route failed');
    res.status(500).json({ error: { code: 'internal_error', message: 'internal error; see the service log' } });
  });
  return app;
}

function reloadJson(status: ReloadStatus | undefined): { at: number; ok: boolean; issues: readonly string[] } | null {
  return status ? { at: status.atMs, ok: status.ok, issues: status.issues } : null;
}
