/**
 * Admin and operator routes (not the webhook hot path), on express: trigger logs for now, later
 * the UI and metrics. Every route needs `Authorization: Bearer <server.admin_token>`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { secretEqual } from '../conditions/constant-time.js';
import { readTriggerLog } from '../trigger-log/read-trigger-log.js';
import type { HttpContext } from './context.js';

export function createAdminApp(ctx: HttpContext): express.Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  const requireAdmin = (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (!ctx.adminToken) {
      res.status(401).json({ error: { code: 'unauthorized', message: 'the admin API is disabled: set server.admin_token in the config' } });
    } else if (token === undefined || !secretEqual(token, ctx.adminToken)) {
      res.status(401).set('www-authenticate', 'Bearer').json({ error: { code: 'unauthorized', message: 'send Authorization: Bearer <server.admin_token>' } });
    } else {
      next();
    }
  };

  app.get('/api/v0/triggers/:id/logs{/}', requireAdmin, async (req, res) => {
    const id = String(req.params.id);
    if (!ctx.triggers.has(id)) {
      res.status(404).json({ error: { code: 'trigger_not_found', message: `no trigger with id ${JSON.stringify(id)}` } });
      return;
    }
    const limit = Number(req.query.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      res.status(400).json({ error: { code: 'payload_invalid', message: 'limit must be an integer from 1 to 10000' } });
      return;
    }
    res.json({ entries: await readTriggerLog(ctx.store, { triggerId: id, limit }) });
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such route' } });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    ctx.logger.error({ err: error }, 'admin route failed');
    res.status(500).json({ error: { code: 'internal_error', message: 'internal error; see the service log' } });
  });
  return app;
}
