/**
 * The web page's trigger console: pause and resume (operator); edit, rotate the secret and delete
 * (admin); the revision history with its diffs. Every write runs the admin API's own operations
 * (createTriggerAdmin), so the page checks, seals and records exactly what the API does. Plain
 * form POSTs (CSRF-checked by requireRole like every page write); confirmations are a second page,
 * so nothing here needs JavaScript.
 */
import type { Request, Response, Router } from 'express';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { adminIdentity, hasRole, type AdminRole } from '../http/admin-auth.js';
import type { HttpContext } from '../http/context.js';
import { createTriggerAdmin, isRefusal, type Refusal, type TriggerOutcome } from '../http/trigger-routes.js';
import type { LiveTrigger } from '../triggers/trigger-set.js';
import { secretFields } from '../triggers/sealed-secrets.js';
import { html, time, type Html } from './html.js';
import { newTriggerForm, parseTriggerText, setupSteps, triggerTemplate } from './new-trigger.js';
import type { RequestHandler } from 'express';

export interface ConsoleDeps {
  readonly need: (role: AdminRole) => RequestHandler;
  readonly send: (res: Response, title: string, body: Html, status?: number) => void;
  readonly csrfField: (res: Response) => Html;
}

interface Revision {
  readonly revision: number;
  readonly at: number;
  readonly by: string;
  readonly deleted: boolean;
  readonly diff: readonly { path: string; before?: unknown; after?: unknown }[];
}

interface Shown {
  readonly config: unknown;
  readonly revision: number;
}

const notice = (message: string): string => `?notice=${encodeURIComponent(message)}`;

export function createTriggerConsole(ctx: HttpContext, deps: ConsoleDeps) {
  const live = ctx.liveTriggers;
  const admin = live ? createTriggerAdmin(ctx, live) : undefined;
  const { need, send, csrfField } = deps;
  const idOf = (req: Request): string => String(req.params.id);
  const actor = (res: Response): string => adminIdentity(res).name;
  const path = (id: string, action = ''): string => `/ui/triggers/${encodeURIComponent(id)}${action && `/${action}`}`;
  /** A refusal as the page shows it: the message, and the field it is about. */
  const refusalNotice = (r: Refusal): Html =>
    html`<div class="notice bad" role="alert"><strong>${r.code}</strong>${r.path ? html` at <code>${r.path}</code>` : ''}: ${r.message}${
      Array.isArray(r.extra?.issues) && r.extra.issues.length > 1 ? html`<ul>${(r.extra.issues as { path: string; message: string }[]).map((i) => html`<li><code>${i.path || 'trigger'}</code>: ${i.message}</li>`)}</ul>` : ''
    }</div>`;
  const refused = (res: Response, r: Refusal): void => send(res, 'Refused', html`<h1>Not done</h1>${refusalNotice(r)}`, 409);
  /** Runs an operation; the page of a refusal, or `then` with its answer. */
  const run = async (res: Response, outcome: Promise<TriggerOutcome>, then: (json: unknown) => void): Promise<void> => {
    const result = await outcome;
    if (isRefusal(result)) return refused(res, result);
    then(result.json);
  };

  /** The trigger page's console section: what this role may do here, and the history. */
  async function section(trigger: LiveTrigger, res: Response): Promise<Html> {
    if (!admin || trigger.source.kind === 'file') return html``;
    const identity = adminIdentity(res);
    const id = trigger.id;
    const fields = secretFields(trigger.source.def.config);
    const history = await admin.revisions(id);
    const revisions = isRefusal(history) ? [] : (history.json as { revisions: Revision[] }).revisions;
    return html`${hasRole(identity, 'operator') ? html`<h2>Manage</h2>` : ''}
      <div class="actions">
        ${hasRole(identity, 'operator')
          ? html`<form method="post" action="${path(id, trigger.paused ? 'resume' : 'pause')}" class="inline">${csrfField(res)}<button type="submit">${trigger.paused ? 'Resume' : 'Pause'}</button></form>`
          : ''}
        ${hasRole(identity, 'admin')
          ? html`<a class="button" href="${path(id, 'edit')}">Edit</a>
            ${fields.length
              ? html`<form method="post" action="${path(id, 'rotate-secret')}" class="inline">${csrfField(res)}
                  ${fields.length > 1 ? html`<select name="path" aria-label="Secret to rotate">${fields.map((f) => html`<option>${f}</option>`)}</select>` : html`<input type="hidden" name="path" value="${fields[0]}">`}
                  <button type="submit">Rotate secret</button></form>`
              : ''}
            <a class="button danger" href="${path(id, 'delete')}">Delete…</a>`
          : ''}
      </div>
      <h2>Revisions</h2>
      <table aria-label="Revisions"><thead><tr><th scope="col">Revision</th><th scope="col">When</th><th scope="col">By</th><th scope="col">Changes</th></tr></thead>
      <tbody>${revisions.map(
        (r) => html`<tr><td>${r.revision}${r.deleted ? ' (deleted)' : ''}</td><td>${time(r.at)}</td><td>${r.by}</td>
          <td><ul class="diff">${r.diff.map((c) => html`<li><code>${c.path || '(trigger)'}</code>: ${shownValue(c.before)} → ${shownValue(c.after)}</li>`)}</ul></td></tr>`,
      )}</tbody></table>`;
  }

  /** Mounted before `/triggers/:id`, which would otherwise take `new` for an id. */
  function mount(router: Router): void {
    if (!admin || !live) return;
    router.get('/triggers/new', need('admin'), (req, res) => {
      const { registry, project } = live.checkContext();
      const asked = typeof req.query.connector === 'string' ? req.query.connector : 'generic';
      const chosen = registry.has(asked) ? asked : 'generic';
      send(res, 'New trigger', newTriggerForm(res, csrfField, registry, chosen, triggerTemplate(registry.has(chosen) ? chosen : undefined, registry, project)));
    });
    router.post('/triggers/new', need('admin'), async (req, res) => {
      const { registry } = live.checkContext();
      const chosen = typeof req.body?.connector === 'string' && registry.has(req.body.connector as string) ? (req.body.connector as string) : 'generic';
      const text = typeof req.body?.config === 'string' ? (req.body.config as string) : '';
      const again = (problem: Refusal) => send(res, 'New trigger', newTriggerForm(res, csrfField, registry, chosen, text, refusalNotice(problem)), 422);
      const parsed = parseTriggerText(text);
      if (!parsed.ok) return again({ refused: true, code: 'unparseable_body', message: parsed.message, path: '' });
      const created = await admin.create(parsed.value, actor(res));
      if (isRefusal(created)) return again(created);
      const { id, url } = created.json as { id: string; url: string };
      const trigger = ctx.triggers.get(id);
      // Shown once, like rotate-secret's answer: the store keeps them sealed, the page shows [sealed].
      const secrets = secretFields(parsed.value)
        .map((field) => ({ field, value: valueAt(parsed.value, field) }))
        .filter((s): s is { field: string; value: string } => typeof s.value === 'string' && !s.value.startsWith('${'));
      send(
        res,
        'Trigger created',
        html`<h1>Created <a href="${path(id)}">${trigger?.title || id}</a></h1>
          <dl><dt>URL</dt><dd><code id="trigger-url">${url}</code></dd></dl>
          ${secrets.length
            ? html`<p class="notice bad" role="alert">Copy the secret now, it is not shown again.</p>
              ${secrets.map((s) => html`<p><code>${s.field}</code></p><pre class="new-secret">${s.value}</pre>`)}`
            : ''}
          <h2>Set up the sender</h2>
          <p id="setup-steps">${setupSteps(trigger?.connector?.connector, url)}</p>
          <form method="post" action="${path(id, 'test')}" class="inline">${csrfField(res)}<button class="primary" type="submit">Send test request</button></form>`,
        201,
      );
    });

    for (const [action, paused] of [['pause', true], ['resume', false]] as const) {
      router.post(`/triggers/:id/${action}`, need('operator'), async (req, res) => {
        const id = idOf(req);
        await run(res, admin.setPaused(id, paused, actor(res)), () => res.redirect(303, path(id) + notice(paused ? 'Paused: requests are logged and answered trigger_paused' : 'Resumed')));
      });
    }

    router.get('/triggers/:id/delete', need('admin'), (req, res) => {
      const id = idOf(req);
      const trigger = ctx.triggers.get(id);
      if (!trigger) return void send(res, 'Not found', html`<h1>No such trigger</h1>`, 404);
      send(
        res,
        `Delete ${trigger.title || id}`,
        html`<p><a href="${path(id)}">← ${trigger.title || id}</a></p><h1>Delete ${trigger.title || id}?</h1>
          <p>Its URL <code>${ctx.publicUrl ?? ''}/api/v0/launch/${id}/</code> stops launching at once, on every instance. Its history stays readable through the admin API.</p>
          <form method="post" action="${path(id, 'delete')}" class="inline">${csrfField(res)}<button class="danger" type="submit">Delete this trigger</button></form>
          <a href="${path(id)}">Cancel</a>`,
      );
    });
    router.post('/triggers/:id/delete', need('admin'), async (req, res) => {
      const id = idOf(req);
      await run(res, admin.remove(id, actor(res)), () => res.redirect(303, `/ui/${notice(`Deleted trigger ${id}`)}`));
    });

    router.post('/triggers/:id/rotate-secret', need('admin'), async (req, res) => {
      const id = idOf(req);
      const field = typeof req.body?.path === 'string' && req.body.path ? (req.body.path as string) : undefined;
      await run(res, admin.rotateSecret(id, field ? { path: field } : {}, actor(res)), (json) => {
        const rotated = json as { path: string; secret: string; previous_valid_until: number | null };
        send(
          res,
          'New secret',
          html`<p><a href="${path(id)}">← back to the trigger</a></p><h1>New secret for <code>${rotated.path}</code></h1>
            <p class="notice bad" role="alert">Copy it now, it is not shown again.</p>
            <pre id="new-secret">${rotated.secret}</pre>
            <p>Paste it into the sender. ${rotated.previous_valid_until === null ? 'The previous secret no longer works.' : html`The previous secret keeps working until ${time(rotated.previous_valid_until)}.`}</p>`,
        );
      });
    });

    router.get('/triggers/:id/edit', need('admin'), async (req, res) => {
      const id = idOf(req);
      const shown = await admin.get(id);
      if (isRefusal(shown)) return refused(res, shown);
      const { config, revision } = shown.json as Shown;
      editPage(res, id, stringifyYaml(config), revision);
    });
    router.post('/triggers/:id/edit', need('admin'), async (req, res) => {
      const id = idOf(req);
      const text = typeof req.body?.config === 'string' ? (req.body.config as string) : '';
      const shown = await admin.get(id);
      if (isRefusal(shown)) return refused(res, shown);
      const { config: before, revision } = shown.json as Shown;
      let after: unknown;
      try {
        after = parseYaml(text);
      } catch (error) {
        return editPage(res, id, text, revision, { refused: true, code: 'unparseable_body', message: `not YAML: ${(error as Error).message}`, path: '' });
      }
      // A stale form would silently undo a change made meanwhile: refuse it instead.
      if (String(req.body?.revision) !== String(revision)) {
        return editPage(res, id, text, revision, { refused: true, code: 'revision_conflict', message: `the trigger changed meanwhile (now revision ${revision}); review the current version below and edit again`, path: '' });
      }
      const result = await admin.patch(id, patchBetween(before, after), actor(res));
      if (isRefusal(result)) return editPage(res, id, text, revision, result);
      res.redirect(303, path(id) + notice('Saved'));
    });
  }

  function editPage(res: Response, id: string, text: string, revision: number, problem?: Refusal): void {
    const trigger = ctx.triggers.get(id);
    send(
      res,
      `Edit ${trigger?.title || id}`,
      html`<p><a href="${path(id)}">← ${trigger?.title || id}</a></p><h1>Edit ${trigger?.title || id}</h1>
        ${problem ? refusalNotice(problem) : ''}
        <form method="post" action="${path(id, 'edit')}" class="stack">${csrfField(res)}
          <input type="hidden" name="revision" value="${revision}">
          <label>Trigger (YAML, as in hooklaunch.yaml; <code>[sealed]</code> keeps a stored secret as it is)
            <textarea name="config" rows="20" spellcheck="false">${text}</textarea></label>
          <p><button class="primary" type="submit">Save</button> <a href="${path(id)}">Cancel</a></p>
        </form>`,
      problem ? 422 : 200,
    );
  }

  return { section, mount };
}

/** A diff value on the page: JSON, `—` for absent (created or removed). */
function shownValue(value: unknown): Html {
  return value === undefined ? html`<span class="muted">—</span>` : html`<code>${JSON.stringify(value)}</code>`;
}

/**
 * The RFC 7386 merge patch that turns `before` into `after`: the edit form holds the whole trigger,
 * so a key left out of it is a key removed (`null`), which a plain merge of the form would keep.
 */
export function patchBetween(before: unknown, after: unknown): unknown {
  if (!isObject(before) || !isObject(after)) return after;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(value)) patch[key] = patchBetween(before[key], value);
  }
  return patch;
}

/** The value at a secretFields path (`connector.secret`, `conditions[0].secret`). */
function valueAt(root: unknown, field: string): unknown {
  let node = root;
  for (const key of field.match(/[^.[\]]+/g) ?? []) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
