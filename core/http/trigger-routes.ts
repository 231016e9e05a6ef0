/**
 * The admin API's trigger routes: create, read, change (RFC 7386 merge patch), delete, pause and
 * resume triggers while the service runs, with a revision history. Bodies are triggers in the
 * config's own shape; every write is checked the way hooklaunch.yaml is (checkTrigger) and applies
 * to the next request on every instance (live-triggers). hooklaunch.yaml's triggers are read-only
 * here: they change in the file and are reloaded with SIGHUP or `hooklaunch reload`. Secrets sent in
 * clear are sealed before they are stored and shown as `[sealed]` (sealed-secrets.ts); a secret is
 * shown once, in the answer of the rotate-secret that generated it.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { formatPath } from '../yaml/config-error.js';
import type { TriggerChange, TriggerDef } from '../store/store.js';
import { checkTrigger } from '../config/check-trigger.js';
import type { LiveTriggers } from '../triggers/live-triggers.js';
import { mergePatch } from '../triggers/merge-patch.js';
import { plainSecretPaths } from '../triggers/plain-secrets.js';
import { datedSecretsOf, keepShownSecrets, maskSecrets, openSecrets, sealSecret, sealSecrets, secretFields } from '../triggers/sealed-secrets.js';
import { overlapSeconds, rotateSecrets } from '../secrets/rotation.js';
import { generateSecret, type SecretFormat } from '../secrets/generate-secret.js';
import { z } from 'zod';
import { triggerDiff } from '../triggers/trigger-diff.js';
import type { AdminRole } from '../config/schema.js';
import { adminIdentity } from './admin-auth.js';
import type { ConnectorRegistry } from '../config/load-config.js';
import type { HttpContext } from './context.js';
import { pathNamesSecret } from '../config/secret-key-name.js';

type ErrorCode = 'payload_invalid' | 'unparseable_body' | 'config_invalid' | 'trigger_not_found' | 'trigger_file_managed' | 'trigger_exists' | 'revision_conflict';

// A revision diff at a path naming a secret (`connector.secret`) holds the secret itself.

const STATUS: Record<ErrorCode, number> = {
  payload_invalid: 400,
  unparseable_body: 400,
  config_invalid: 422,
  trigger_not_found: 404,
  trigger_file_managed: 409,
  trigger_exists: 409,
  revision_conflict: 409,
};

/** Why a trigger route refuses: answered as `{error: {code, message, path, ...extra}}`. */
export interface Refusal {
  readonly refused: true;
  readonly code: ErrorCode;
  readonly message: string;
  readonly path: string;
  readonly extra?: Record<string, unknown>;
}

function refusal(code: ErrorCode, message: string, path = '', extra?: Record<string, unknown>): Refusal {
  return { refused: true, code, message, path, ...(extra && { extra }) };
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && (value as { refused?: unknown }).refused === true;
}

function sendRefusal(res: Response, r: Refusal): void {
  res.status(STATUS[r.code]).json({ error: { code: r.code, message: r.message, path: r.path, ...r.extra } });
}

/** The admin token's name (`admin` for the single `server.admin_token`), for the revision history. */
const actorOf = (req: Request): string => adminIdentity(req.res!).name;

/** What a trigger operation answers: the JSON to send (with its status), or why it refuses. */
export type TriggerOutcome = { status?: number; json: unknown } | Refusal;

/**
 * The trigger operations behind both the admin API and the web page, so that the page does what
 * the API does (same checks, same revisions, same sealing) without calling itself over HTTP.
 * `actor` is the admin token's name, kept in the revision history.
 */
export interface TriggerAdmin {
  create(body: unknown, actor: string): Promise<TriggerOutcome>;
  get(id: string): Promise<TriggerOutcome>;
  patch(id: string, patch: unknown, actor: string): Promise<TriggerOutcome>;
  remove(id: string, actor: string): Promise<TriggerOutcome>;
  setPaused(id: string, paused: boolean, actor: string): Promise<TriggerOutcome>;
  rotateSecret(id: string, body: unknown, actor: string): Promise<TriggerOutcome>;
  revisions(id: string): Promise<TriggerOutcome>;
}

export function createTriggerAdmin(ctx: HttpContext, live: LiveTriggers): TriggerAdmin {
  const storedDef = async (id: string): Promise<TriggerDef | undefined> => (await ctx.store.listTriggerDefs()).find((d) => d.id === id);
  const fileManaged = (id: string): Refusal | undefined => {
    const trigger = ctx.triggers.get(id);
    if (trigger?.source.kind !== 'file') return undefined;
    const { file, line } = trigger.source;
    const where = line === undefined ? file : `${file}:${line}`;
    return refusal('trigger_file_managed', `trigger ${id} is managed by ${where}; change it there and reload (SIGHUP or hooklaunch reload)`, '', { file, line: line ?? null });
  };
  const notFound = (id: string): Refusal => refusal('trigger_not_found', `no trigger with id ${JSON.stringify(id)}`);
  /** The API-managed trigger `id`, or why it cannot be changed here. */
  const changeable = async (id: string): Promise<TriggerDef | Refusal> => fileManaged(id) ?? (await storedDef(id)) ?? notFound(id);
  /**
   * The config to store for a body: its secrets in clear sealed, checked the way hooklaunch.yaml is
   * (on the opened secrets, as the compiler will see them). `previous` is the stored config a
   * `[sealed]` placeholder stands for (a body read back with GET and sent again).
   */
  const prepare = (body: unknown, previous?: unknown): { config: unknown } | Refusal => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return refusal('payload_invalid', 'the body must be a JSON object: a trigger as written in hooklaunch.yaml');
    const id = String((body as { id?: unknown }).id);
    const kept = keepShownSecrets(body, previous);
    if (!kept.ok) return refusal('config_invalid', `${kept.path}: ${kept.message}`, kept.path);
    const config = sealSecrets(kept.config, live.secretKey, id);
    const opened = openSecrets(config, live.secretKey, id, ctx.clock.now());
    if (!opened.ok) return refusal('config_invalid', `${opened.path}: ${opened.message}`, opened.path);
    const checked = checkTrigger(opened.config, live.checkContext());
    if (checked.ok) return { config };
    const issues = checked.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    return refusal('config_invalid', `${issues[0]!.path || 'trigger'}: ${issues[0]!.message}`, issues[0]!.path, { issues });
  };
  const write = async (id: string, config: unknown, paused: boolean, expectRevision: number, diff: readonly TriggerChange[], by: string): Promise<number | Refusal> => {
    const outcome = await ctx.store.writeTriggerDef({ id, config, paused, expectRevision, atMs: ctx.clock.now(), by, diff });
    if (outcome.kind === 'conflict') {
      if (expectRevision === 0) return refusal('trigger_exists', `a trigger with id ${id} already exists; change it with PATCH`, 'id');
      return refusal('revision_conflict', `trigger ${id} changed meanwhile (now at revision ${outcome.currentRevision}); read it again and retry`);
    }
    // This instance serves the change at once; the others see the revision on their next poll.
    await live.refresh();
    return outcome.revision;
  };
  const urlOf = (id: string): string => `${ctx.publicUrl ?? ''}/api/v0/launch/${id}/`;
  const view = async (id: string): Promise<Record<string, unknown> | Refusal> => {
    const trigger = ctx.triggers.get(id);
    if (trigger?.source.kind === 'file') {
      const { file, line, written } = trigger.source;
      return { id, managed_by: 'file', file, line: line ?? null, revision: 0, paused: false, url: urlOf(id), config: withoutPlainSecrets(written) };
    }
    const def = await storedDef(id);
    if (!def) return notFound(id);
    const served = trigger?.revision === def.revision;
    return { id, managed_by: 'api', revision: def.revision, paused: def.paused, updated_at: def.updatedAtMs, updated_by: def.updatedBy, url: urlOf(id), served, ...(!served && { problem: live.problemOf(id) ?? null }), config: maskSecrets(def.config) };
  };
  const answer = async (id: string, status?: number): Promise<TriggerOutcome> => {
    const shown = await view(id);
    return isRefusal(shown) ? shown : { ...(status !== undefined && { status }), json: shown };
  };

  return {
    async create(body, actor) {
      const prepared = prepare(body);
      if (isRefusal(prepared)) return prepared;
      const id = String((body as { id?: unknown }).id);
      const refused = fileManaged(id);
      if (refused) return refused;
      const written = await write(id, prepared.config, false, 0, triggerDiff({}, prepared.config), actor);
      return isRefusal(written) ? written : answer(id, 201);
    },

    get: (id) => answer(id),

    async patch(id, patch, actor) {
      const def = await changeable(id);
      if (isRefusal(def)) return def;
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return refusal('payload_invalid', 'a merge patch is a JSON object (RFC 7386)');
      const next = mergePatch(def.config, patch) as { id?: unknown };
      if (next.id !== def.id) return refusal('payload_invalid', "the id cannot change: it is the trigger's URL; create a new trigger instead", 'id');
      const prepared = prepare(next, def.config);
      if (isRefusal(prepared)) return prepared;
      const diff = triggerDiff(def.config, prepared.config);
      const written = diff.length > 0 ? await write(def.id, prepared.config, def.paused, def.revision, diff, actor) : def.revision;
      return isRefusal(written) ? written : answer(def.id);
    },

    async remove(id, actor) {
      const def = await changeable(id);
      if (isRefusal(def)) return def;
      const written = await write(def.id, undefined, false, def.revision, triggerDiff(def.config, {}), actor);
      return isRefusal(written) ? written : { json: { id: def.id, deleted: true, revision: written } };
    },

    async setPaused(id, paused, actor) {
      const def = await changeable(id);
      if (isRefusal(def)) return def;
      const written = def.paused === paused ? def.revision : await write(def.id, def.config, paused, def.revision, [{ path: 'paused', before: def.paused, after: paused }], actor);
      return isRefusal(written) ? written : answer(def.id);
    },

    async rotateSecret(id, rawBody, actor) {
      const def = await changeable(id);
      if (isRefusal(def)) return def;
      const body = rotateBody.safeParse(rawBody ?? {});
      if (!body.success) {
        const issue = body.error.issues[0]!;
        return refusal('payload_invalid', `${formatPath(issue.path) || 'body'}: ${issue.message}`, formatPath(issue.path));
      }
      const fields = secretFields(def.config);
      const field = body.data.path ?? (fields.length === 1 ? fields[0] : undefined);
      if (field === undefined || !fields.includes(field)) {
        const choices = fields.length === 0 ? 'this trigger has no stored secret (one given as an ${env:…} reference rotates in the environment)' : `choose one of ${fields.join(', ')}`;
        return refusal('config_invalid', `name the secret to rotate with "path": ${choices}`, 'path', { choices: fields });
      }
      const current = datedSecretsOf(def.config, live.secretKey, def.id, field);
      if (!current) return refusal('config_invalid', `${field} holds a stored secret that does not open with this instance's key; set a new one with PATCH`, field);
      const secret = body.data.secret ?? generateSecret(formatFor(def.config, field, live.checkContext().registry));
      const rotated = rotateSecrets(current, secret, ctx.clock, body.data.overlap_seconds);
      const next = structuredClone(def.config) as Record<string, unknown>;
      setAt(next, field, rotated.secrets.map((s) => sealSecret(s, live.secretKey, def.id, field)));
      const prepared = prepare(next, def.config);
      if (isRefusal(prepared)) return prepared;
      const written = await write(def.id, prepared.config, def.paused, def.revision, triggerDiff(def.config, prepared.config), actor);
      if (isRefusal(written)) return written;
      // The only time the secret is shown: it is sealed in the store and `[sealed]` everywhere else.
      return { json: { id: def.id, path: field, revision: written, ...(body.data.secret === undefined && { secret }), previous_valid_until: rotated.previousExpiresAtMs ?? null } };
    },

    async revisions(id) {
      const file = fileManaged(id);
      if (file) return file;
      const revisions = await ctx.store.triggerRevisions(id);
      if (revisions.length === 0) return refusal('trigger_not_found', `no trigger with id ${JSON.stringify(id)} was ever managed through the API`);
      // Sealed values never leave the store: a changed secret shows as `[sealed]` on both sides.
      const diffShown = (diff: readonly TriggerChange[]) => diff.map((c) => ({ ...c, ...('before' in c && { before: maskSecrets(c.before, pathNamesSecret(c.path)) }), ...('after' in c && { after: maskSecrets(c.after, pathNamesSecret(c.path)) }) }));
      return { json: { revisions: revisions.map((r) => ({ revision: r.revision, at: r.atMs, by: r.by, diff: diffShown(r.diff), paused: r.paused, deleted: r.config === undefined, config: maskSecrets(r.config) ?? null })) } };
    },
  };
}

export function createTriggerRoutes(ctx: HttpContext, live: LiveTriggers, requireRole: (role: AdminRole) => RequestHandler): express.Router {
  const router = express.Router();
  const json = express.json({ limit: '1mb', type: ['application/json', 'application/merge-patch+json'] });
  const admin = createTriggerAdmin(ctx, live);
  /** Runs a route; a refusal it returns is answered, anything else is the JSON answer. */
  const handle =
    (work: (req: Request) => Promise<TriggerOutcome>): RequestHandler =>
    (req, res, next) => {
      work(req).then((result) => (isRefusal(result) ? sendRefusal(res, result) : void res.status(result.status ?? 200).json(result.json)), next);
    };
  const idOf = (req: Request): string => String(req.params.id);

  router.post('/api/v0/triggers{/}', requireRole('admin'), json, handle((req) => admin.create(req.body, actorOf(req))));
  router.get('/api/v0/triggers/:id{/}', requireRole('viewer'), handle((req) => admin.get(idOf(req))));
  router.patch('/api/v0/triggers/:id{/}', requireRole('admin'), json, handle((req) => admin.patch(idOf(req), req.body, actorOf(req))));
  router.delete('/api/v0/triggers/:id{/}', requireRole('admin'), handle((req) => admin.remove(idOf(req), actorOf(req))));
  for (const [action, paused] of [['pause', true], ['resume', false]] as const) {
    router.post(`/api/v0/triggers/:id/${action}{/}`, requireRole('operator'), handle((req) => admin.setPaused(idOf(req), paused, actorOf(req))));
  }
  router.post('/api/v0/triggers/:id/rotate-secret{/}', requireRole('admin'), json, handle((req) => admin.rotateSecret(idOf(req), req.body, actorOf(req))));
  router.get('/api/v0/triggers/:id/revisions{/}', requireRole('viewer'), handle((req) => admin.revisions(idOf(req))));

  // express.json's own refusals: a body that is not JSON, or too large.
  router.use('/api/v0/triggers', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const { status, type } = error as { status?: number; type?: string };
    if (type === 'entity.parse.failed') return sendRefusal(res, refusal('unparseable_body', 'the body is not valid JSON'));
    if (status === 413) return void res.status(413).json({ error: { code: 'body_too_large', message: 'a trigger body may be up to 1 MiB', path: '' } });
    next(error);
  });
  return router;
}

const rotateBody = z.strictObject({
  overlap_seconds: overlapSeconds,
  /** The secret field, as the config path names it (`conditions[0].secret`, `connector.secret`). */
  path: z.string().optional(),
  /** The new secret; generated (and answered once) when absent. */
  secret: z.string().min(1).optional(),
});

/** How a generated secret for `field` must look: `whsec_…` where the key is base64, or where the connector says so (Connector.secretFormat), else hex. */
function formatFor(config: unknown, field: string, registry: ConnectorRegistry): SecretFormat {
  const owner = field.replace(/\.[^.[\]]+$/, '');
  const node = getAt(config, owner) as ({ secret_encoding?: unknown; type?: unknown } & Record<string, unknown>) | undefined;
  if (node?.secret_encoding === 'base64') return 'whsec';
  if (owner === 'connector' && typeof node?.type === 'string') return registry.get(node.type)?.secretFormat?.(node) ?? 'hex';
  return 'hex';
}

/** `conditions[0].secret` as keys: the paths secretFields gives. */
function keysOf(path: string): string[] {
  return path.match(/[^.[\]]+/g) ?? [];
}

function getAt(root: unknown, path: string): unknown {
  let node = root;
  for (const key of keysOf(path)) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

function setAt(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = keysOf(path);
  const parent = getAt(root, keys.slice(0, -1).join('.')) as Record<string, unknown>;
  parent[keys.at(-1)!] = value;
}

/** A file-managed trigger as written, with any secret written in clear replaced (references are shown). */
function withoutPlainSecrets(written: unknown): unknown {
  const copy = structuredClone(written);
  for (const path of plainSecretPaths(copy)) {
    let node = copy as Record<PropertyKey, unknown>;
    for (const key of path.slice(0, -1)) node = node[key as string] as Record<PropertyKey, unknown>;
    node[path.at(-1) as string] = '[redacted]';
  }
  return copy;
}
