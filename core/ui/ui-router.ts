/**
 * The web page under /ui/: triggers, their requests with reasons, a request in full with its run,
 * replay, and test requests. Server-rendered HTML (see html.ts for why); a session cookie
 * (HttpOnly, SameSite=Strict) after logging in with any admin token, a form token on POSTs, and
 * the token's role deciding which actions the page offers and which POSTs it takes.
 */
import express, { type Response, type Router } from 'express';
import type { HttpContext } from '../http/context.js';
import { adminIdentity, hasRole, SESSION_COOKIE, type AdminAuth, type AdminRole, type RefusalAnswer } from '../http/admin-auth.js';
import { sendTestRequest } from '../http/test-request.js';
import { clientScheme } from '../http/proxy-trust.js';
import { hasRun, type LogEntry, type LogOutcome } from '../store/store.js';
import { answerLatencyChart, hourlyLatency } from './answer-chart.js';
import { payloadDriftSection } from './payload-drift-section.js';
import { describeActions, describeBatchSetting, describeConditions, requestDetail, runDetail, type RunDetail } from '../trigger-log/describe.js';
import { readTriggerLog, repeated } from '../trigger-log/read-trigger-log.js';
import { senderProblem, type SenderProblem } from '../trigger-log/sender-problem.js';
import { replayRequest } from '../triggers/replay-request.js';
import { lastOutputLines } from '../launch/execution-ended.js';
import { executionStatusBadge, html, outcomeBadge, page, runStatusBadge, time, type Html } from './html.js';
import type { ReloadStatus } from '../triggers/live-triggers.js';
import { createTriggerConsole } from './trigger-console.js';
import { hourlyCounts, requestsChart } from './request-chart.js';
import { createLiveLog, liveLogScript, logFilters, logRow, matchesText, OUTCOMES } from './live-log.js';
import { batchesSection, batchOfRequest, closeBatchForm, deliveries, runLink } from './batches-section.js';
import { batchOfRun, closeBatchNow } from '../http/batch-routes.js';
import { describeBatch } from '../triggers/describe-batch.js';

export function createUiRouter(ctx: HttpContext, auth: AdminAuth): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '5mb' });
  const csrfField = (res: Response): Html => html`<input type="hidden" name="csrf" value="${auth.formToken(adminIdentity(res))}">`;
  /** Replay and test requests are offered to operators and admins only; a viewer's page just reads. */
  const mayOperate = (res: Response): boolean => hasRole(adminIdentity(res), 'operator');
  const send = (res: Response, title: string, body: Html, status = 200): void => {
    res.status(status).type('html').set('cache-control', 'no-store').send(page(title, body));
  };
  const answerPage: RefusalAnswer = (_req, res, refusal) => {
    if (refusal.status === 401) return void res.redirect(303, '/ui/login');
    send(res, 'Refused', html`<h1>Refused</h1><p role="alert">${refusal.message}.</p>`, refusal.status);
  };
  const need = (role: AdminRole) => auth.requireRole(role, answerPage);
  const triggerConsole = createTriggerConsole(ctx, { need, send, csrfField });
  const liveLog = createLiveLog(ctx);

  router.get('/login', (req, res) => {
    const failed = req.query.failed !== undefined;
    send(
      res,
      'Log in',
      html`<h1>Log in</h1>
        ${auth.enabled ? '' : html`<p class="notice bad">The web page is disabled: set <code>server.admin_token</code> or <code>server.admin_tokens</code> in the config.</p>`}
        ${failed ? html`<p class="notice bad" role="alert">That is not the admin token, nor one of server.admin_tokens.</p>` : ''}
        <form method="post" action="/ui/login" class="stack">
          <label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
          <p><button class="primary" type="submit">Log in</button></p>
        </form>`,
      failed ? 401 : 200,
    );
  });

  router.post('/login', form, (req, res) => {
    const token = typeof req.body?.token === 'string' ? (req.body.token as string) : '';
    const identity = auth.logIn(token);
    if (!identity) return void res.redirect(303, '/ui/login?failed');
    res.cookie(SESSION_COOKIE, identity.session, { httpOnly: true, sameSite: 'strict', path: '/', secure: (ctx.publicUrl ?? '').startsWith('https:') || clientScheme(req, ctx.trustProxy) === 'https' });
    res.redirect(303, '/ui/');
  });

  router.use((req, res, next) => {
    if (auth.identify(req)) return next();
    res.redirect(303, '/ui/login');
  });
  // Parsed before the routes' requireRole, which reads the form token from the `csrf` field.
  router.post('/{*rest}', form);
  triggerConsole.mount(router);

  router.post('/logout', need('viewer'), (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/ui/login');
  });

  router.get('/', need('viewer'), async (req, res) => {
    const notice = typeof req.query.notice === 'string' ? req.query.notice : undefined;
    const stats = new Map((await ctx.store.triggerStats(ctx.clock.now() - 86_400_000)).map((s) => [s.triggerId, s]));
    const depths = await ctx.queueDepths?.();
    const triggers = ctx.triggers.all();
    const problems = await Promise.all(triggers.map((t) => senderProblem(ctx.store, t.id)));
    const rows = triggers.map((t, i) => {
      const url = `${ctx.publicUrl ?? ''}/api/v0/launch/${t.id}/`;
      const counts = stats.get(t.id)?.counts;
      const problem = problems[i];
      return html`<tr>
        <td><a href="/ui/triggers/${t.id}">${t.title || t.id}</a>${problem ? html`<br><span class="bad" role="note">⚠ ${problem.message}</span>` : ''}</td>
        <td><code>${url}</code> <button type="button" data-copy="${url}" aria-label="Copy the URL of ${t.title || t.id}">Copy</button></td>
        <td>${t.connector?.connector.title ?? html`<span class="muted">generic</span>`}</td>
        <td>${describeConditions(t.config, t.connector).join('; ')}</td>
        <td>${time(stats.get(t.id)?.lastAtMs)}</td>
        <td><span class="ok">${(counts?.accepted ?? 0) + (counts?.batched ?? 0)}</span> / <span class="bad">${counts?.rejected ?? 0}</span></td>
      </tr>`;
    });
    send(
      res,
      'Triggers',
      html`<h1>Triggers</h1>
        ${reloadBanner(ctx.liveTriggers?.lastReload())}
        ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
        ${depths
          ? html`<section class="stats" aria-label="Queues">
              <div><span class="muted">Launches waiting</span><b id="launch-queue-depth">${depths.launchQueue}</b></div>
              <div><span class="muted">Executions queued</span><b id="executions-queued">${depths.executionsQueued}</b></div>
              <div><span class="muted">Executions running</span><b id="executions-running">${depths.executionsRunning}</b></div>
            </section>`
          : ''}
        <table><thead><tr><th scope="col">Trigger</th><th scope="col">URL</th><th scope="col">Connector</th><th scope="col">Conditions</th><th scope="col">Last request</th><th scope="col">24 h accepted / rejected</th></tr></thead>
        <tbody>${rows}</tbody></table>
        ${ctx.liveTriggers && hasRole(adminIdentity(res), 'admin') ? html`<p><a class="button" href="/ui/triggers/new">New trigger</a></p>` : ''}
        <form method="post" action="/ui/logout" class="inline">${csrfField(res)}<p><span class="muted" id="signed-in">Logged in as ${adminIdentity(res).name} (${adminIdentity(res).role})</span> <button type="submit">Log out</button></p></form>
        <script>document.addEventListener('click', (e) => { const b = e.target.closest('[data-copy]'); if (b) navigator.clipboard.writeText(b.dataset.copy).then(() => { b.textContent = 'Copied'; }); });</script>`,
    );
  });

  router.get('/triggers/:id', need('viewer'), async (req, res) => {
    const trigger = ctx.triggers.get(String(req.params.id));
    if (!trigger) return void send(res, 'Not found', html`<h1>No such trigger</h1>`, 404);
    const filters = logFilters(req.query);
    const { outcome, code, text } = filters;
    const entries = (await readTriggerLog(ctx.store, ctx.rejections, { triggerId: trigger.id, limit: 200, outcome, code })).filter((e) => matchesText(e, text));
    const sample = trigger.connector?.connector.sample?.(trigger.connector.params);
    const notice = typeof req.query.notice === 'string' ? req.query.notice : undefined;
    const problem = await senderProblem(ctx.store, trigger.id);
    // The newest lines cover the last 24 h for any trigger short of a flood; past that the chart undercounts its oldest hours.
    const lastDay = await ctx.store.listLog({ triggerId: trigger.id, limit: 10_000 });
    send(
      res,
      trigger.title || trigger.id,
      html`<h1>${trigger.title || trigger.id}</h1>
        ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
        ${problem ? problemNotice(problem) : ''}
        <dl>
          <dt>URL</dt><dd><code>${ctx.publicUrl ?? ''}/api/v0/launch/${trigger.id}/</code></dd>
          <dt>Conditions</dt><dd>${describeConditions(trigger.config, trigger.connector).join('; ')}</dd>
          <dt>Actions</dt><dd>${describeActions(trigger.config).join(', then ')}</dd>
          ${trigger.config.batch ? html`<dt>Batches</dt><dd>${describeBatchSetting(trigger.config.batch)}</dd>` : ''}
          <dt>Managed</dt><dd>${
            trigger.source.kind === 'file'
              ? html`in <code>${trigger.source.file}${trigger.source.line === undefined ? '' : `:${trigger.source.line}`}</code> (read-only here; edit the file, then reload)`
              : html`through the admin API, revision ${trigger.revision}, by ${trigger.source.def.updatedBy} at ${time(trigger.source.def.updatedAtMs)}`
          }${trigger.paused ? html` <span class="bad" role="note">paused: requests are logged and answered trigger_paused, nothing launches</span>` : ''}</dd>
        </dl>
        <h2>Last 24 hours</h2>
        ${requestsChart(hourlyCounts(lastDay, ctx.clock.now()))}
        <h2>Answer latency, last 24 hours</h2>
        ${answerLatencyChart(hourlyLatency(lastDay, ctx.clock.now()), trigger.connector?.connector.ackDeadlineMs)}
        ${await payloadDriftSection(ctx.store, trigger)}
        ${await triggerConsole.section(trigger, res)}
        ${await batchesSection(ctx.store, trigger, ctx.clock.now(), mayOperate(res) ? closeBatchForm(res, csrfField) : undefined)}
        <h2>Requests</h2>
        <form method="get" class="filters" aria-label="Filter requests">
          <label>Outcome <select name="outcome"><option value="">any</option>${OUTCOMES.map((o) => html`<option ${o === outcome ? 'selected' : ''}>${o}</option>`)}</select></label>
          <label>Reason code <input name="code" value="${code ?? ''}" placeholder="e.g. signature_mismatch"></label>
          <label>Text <input name="q" value="${text ?? ''}" placeholder="message, code, request id, address"></label>
          <button type="submit">Filter</button>
        </form>
        <table><thead><tr><th scope="col">Time</th><th scope="col">Outcome</th><th scope="col">Reason</th><th scope="col">From</th><th scope="col">Size</th><th scope="col">Revision</th><th scope="col">Run</th></tr></thead>
        <tbody id="request-rows">${entries.map(logRow)}</tbody></table>
        ${entries.length === 0 ? html`<p class="muted" id="no-requests">No requests${outcome || code || text ? ' match these filters' : ' yet'}.</p>` : ''}
        ${liveLogScript(trigger.id, lastDay[0]?.seq ?? 0, filters)}
        ${mayOperate(res)
          ? html`<h2>Send a test request</h2>
            <form method="post" action="/ui/triggers/${trigger.id}/test" class="stack">${csrfField(res)}
              <p class="muted">Signed with this trigger's own scheme and secrets, then sent to this service like any webhook.</p>
              <label>Content type <input name="content_type" value="${sample?.contentType ?? 'application/json'}"></label>
              <label>Body <textarea name="body">${sample?.body ?? '{}'}</textarea></label>
              <p><button class="primary" type="submit">Send test request</button></p>
            </form>`
          : ''}`,
    );
  });

  // Close now (issue #17): the admin API's close, so rate limits and exactly-once apply as they do to `hooklaunch batch close`.
  router.post('/batches/:id/close', need('operator'), async (req, res) => {
    const closed = await closeBatchNow(ctx, String(req.params.id));
    if (!closed.ok) return void send(res, 'Not closed', html`<h1>Batch not closed</h1><p role="alert">${closed.rejection.message}.</p>`, closed.rejection.status);
    const said = closed.json.outcome === 'held' ? `Batch held: ${closed.json.message}` : `Batch ${closed.json.message}`;
    res.redirect(303, `/ui/triggers/${encodeURIComponent(closed.json.batch?.trigger_id ?? '')}?notice=${encodeURIComponent(said)}#batches`);
  });

  router.get('/runs/:id', need('viewer'), async (req, res) => {
    const runId = String(req.params.id);
    const [detail, batch] = await Promise.all([runDetail(ctx.store, runId), ctx.store.batchOfRun(runId)]);
    if (!detail && !batch) return void send(res, 'Not found', html`<h1>No such run</h1><p>It may have been purged by the retention setting.</p>`, 404);
    const triggerId = detail?.run.triggerId ?? batch!.triggerId;
    const shown = batch && describeBatch(batch);
    send(
      res,
      `Run ${runId}`,
      html`<p><a href="/ui/triggers/${triggerId}">← ${ctx.triggers.get(triggerId)?.title || triggerId}</a></p>
        <h1>Run <code>${runId}</code></h1>
        <dl>
          ${detail ? html`<dt>${batch ? 'Launched' : 'Accepted'}</dt><dd>${time(detail.run.acceptedAtMs)}</dd>` : ''}
          ${batch ? html`<dt>First delivery</dt><dd><a href="/ui/requests/${batch.firstRequestId}">${batch.firstRequestId}</a></dd>` : ''}
          ${shown ? html`<dt>Batch</dt><dd id="run-batch"><code>${shown.id}</code>${shown.key === '' ? '' : html`, key <code>${shown.key}</code>`}, ${deliveries(shown.items)}${shown.state === 'launched' ? html`, launched ${time(batch!.closedAtMs)} (${shown.close_reason})` : html` — not launched yet: ${shown.state === 'held' ? shown.note : html`launches by ${time(batch!.closesAtMs)}`}`}</dd>` : ''}
        </dl>
        ${detail ? renderRun(detail) : ''}`,
    );
  });

  router.get('/triggers/:id/events', need('viewer'), (req, res) => liveLog.stream(req, res));

  router.post('/triggers/:id/test', need('operator'), async (req, res) => {
    const trigger = ctx.triggers.get(String(req.params.id));
    if (!trigger) return void send(res, 'Not found', html`<h1>No such trigger</h1>`, 404);
    const body = typeof req.body?.body === 'string' ? (req.body.body as string) : undefined;
    const contentType = typeof req.body?.content_type === 'string' ? (req.body.content_type as string) : undefined;
    const result = await sendTestRequest(trigger, ctx.selfUrl?.() ?? '', body, contentType);
    if (result.requestId) return void res.redirect(303, `/ui/requests/${result.requestId}?notice=${encodeURIComponent(`Test request answered ${result.status}`)}`);
    res.redirect(303, `/ui/triggers/${trigger.id}?notice=${encodeURIComponent(`Test request not sent: ${result.error ?? `answered ${result.status}`}`)}`);
  });

  router.get('/requests/:id', need('viewer'), async (req, res) => {
    const detail = await requestDetail(ctx.store, ctx.rejections, ctx.redaction, String(req.params.id));
    if (!detail) return void send(res, 'Not found', html`<h1>No such request</h1><p>It may have been purged by the retention setting.</p>`, 404);
    const { entry } = detail;
    const trigger = ctx.triggers.get(entry.triggerId);
    const notice = typeof req.query.notice === 'string' ? req.query.notice : undefined;
    const batch = entry.outcome === 'batched' ? await batchOfRun(ctx.store, entry.runId) : undefined;
    send(
      res,
      `Request ${entry.requestId}`,
      html`<p><a href="/ui/triggers/${entry.triggerId}">← ${trigger?.title || entry.triggerId}</a></p>
        <h1>Request ${outcomeBadge(entry.outcome)}${detail.run ? html` <span class="muted">run</span> ${runStatusBadge(detail.run.summary.status)}` : ''}</h1>
        ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
        ${detail.run && (detail.run.summary.status === 'error' || detail.run.summary.status === 'complete_with_error') ? failureSummary(detail.run) : ''}
        <dl>
          <dt>Received</dt><dd>${time(entry.receivedAtMs)}</dd>
          <dt>Answer</dt><dd>${entry.status}${entry.code ? html` <code>${entry.code}</code>` : ''}</dd>
          <dt>Reason</dt><dd>${entry.message ?? html`<span class="muted">—</span>`}${repeated(entry)}</dd>
          <dt>From</dt><dd>${entry.remoteAddress} · ${entry.method} <code>${entry.path}</code> · ${entry.sizeBytes} B</dd>
          <dt>Body SHA-256</dt><dd><code>${entry.bodySha256}</code></dd>
          <dt>Request id</dt><dd><code>${entry.requestId}</code>${entry.replayOf ? html` — a replay of <a href="/ui/requests/${entry.replayOf}">${entry.replayOf}</a>` : ''}</dd>
          ${entry.runId ? html`<dt>Run</dt><dd>${detail.run ? runLink(entry.runId) : html`<code>${entry.runId}</code>`}</dd>` : ''}
          ${batch ? html`<dt>Batch</dt><dd id="request-batch">${batchOfRequest(batch, entry.message)}</dd>` : ''}
        </dl>
        ${mayOperate(res)
          ? html`<form method="${launchedOnce(entry) ? 'get' : 'post'}" action="/ui/requests/${entry.requestId}/replay" class="inline">${launchedOnce(entry) ? '' : csrfField(res)}
              <p><button class="primary" type="submit">Replay against the current config</button>
              <span class="muted">Evaluated as of its arrival time, launched if it passes now.</span></p>
            </form>`
          : ''}
        <h2>Headers</h2>
        <pre>${Object.entries(entry.headers).map(([k, v]) => `${k}: ${v}\n`).join('')}</pre>
        <h2>Payload</h2>
        ${detail.payload === undefined ? html`<p class="muted">Not kept (refused before the body was read).</p>` : html`<pre>${detail.payload}</pre>`}
        ${answerSection(entry)}
        ${detail.run ? renderRun(detail.run) : ''}`,
    );
  });

  /** What the sender got back and how long each stage took; rows logged before answers were kept have none. */
  const answerSection = (entry: LogEntry) => {
    const answer = entry.answer;
    if (!answer) return '';
    const ms = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(1)} ms`);
    return html`<h2 id="answer">Answered ${answer.status} in ${Math.round(entry.answeredMs ?? answer.stages.total_ms)} ms</h2>
      <dl>
        <dt>Checks</dt><dd>${ms(answer.stages.verify_ms)}</dd>
        <dt>Store</dt><dd>${ms(answer.stages.store_ms)}</dd>
        <dt>Total</dt><dd>${ms(answer.stages.total_ms)}</dd>
      </dl>
      <pre>${Object.entries(answer.headers).map(([k, v]) => `${k}: ${v}\n`).join('')}</pre>
      ${answer.body ? html`<pre>${answer.body}</pre>` : html`<p class="muted">Empty body.</p>`}`;
  };

  // An accepted request already launched once: replaying it launches again, so the page asks first.
  router.get('/requests/:id/replay', need('operator'), async (req, res) => {
    const detail = await requestDetail(ctx.store, ctx.rejections, ctx.redaction, String(req.params.id));
    if (!detail) return void send(res, 'Not found', html`<h1>No such request</h1>`, 404);
    const { entry } = detail;
    send(
      res,
      'Replay?',
      html`<p><a href="/ui/requests/${entry.requestId}">← the request</a></p><h1>Replay this accepted request?</h1>
        <p>It was accepted ${time(entry.receivedAtMs)}${entry.runId ? html` and launched run <code>${entry.runId}</code>` : ''}. Replaying it launches again if it passes the current config.</p>
        <form method="post" action="/ui/requests/${entry.requestId}/replay" class="inline">${csrfField(res)}<button class="primary" type="submit">Replay it again</button></form>
        <a href="/ui/requests/${entry.requestId}">Cancel</a>`,
    );
  });

  router.post('/requests/:id/replay', need('operator'), async (req, res) => {
    const result = await replayRequest(ctx, String(req.params.id));
    if (!result.ok) return void res.redirect(303, `/ui/requests/${encodeURIComponent(String(req.params.id))}?notice=${encodeURIComponent(result.rejection.message)}`);
    const summary = `Replayed: ${result.handled.outcome}${result.handled.code ? ` (${result.handled.code})` : ''}`;
    res.redirect(303, `/ui/requests/${result.requestId}?notice=${encodeURIComponent(summary)}`);
  });

  return router;
}

/** Accepted, or batched (it is in a batch that launches): replaying it launches again, so the page asks first. */
function launchedOnce(entry: LogEntry): boolean {
  return hasRun(entry.outcome);
}

/** The sender is set up so that nothing it sends can launch: said first, until a delivery passes. */
function problemNotice(problem: SenderProblem): Html {
  return html`<p class="notice bad" role="alert">This trigger ${problem.message} (last ${time(problem.lastAtMs)}). Nothing it receives can launch until then.</p>`;
}

function renderRun(detail: RunDetail): Html {
  const { summary } = detail;
  return html`<h2>Run ${runStatusBadge(summary.status, 'run-status')}</h2>
    ${summary.errors.length ? html`<ul>${summary.errors.map((e) => html`<li class="bad">${e}</li>`)}</ul>` : ''}
    <table><thead><tr><th scope="col">Action</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Result</th></tr></thead>
    <tbody>${detail.run.jobs.map(
      (j) => html`<tr><td>${j.spec.type}</td><td>${j.state}</td><td>${j.attempts}</td><td><code>${j.result ? JSON.stringify(j.result) : (j.lastError?.message ?? '')}</code></td></tr>`,
    )}</tbody></table>
    ${detail.pipelines.map((p) => html`<p>Pipeline <code>${p.spec.pipeline}</code>: ${executionStatusBadge(p.status)}${p.error ? html` — <span class="bad">${p.error}</span>` : ''}</p>`)}
    ${detail.executions.map(
      (e) => html`<h2>Execution ${e.spec.node ? html`node <code>${e.spec.node}</code> ` : ''}of <code>${e.spec.step}</code>: ${executionStatusBadge(e.status)}</h2>
        <p class="muted">${e.startedAtMs ? html`started ${time(e.startedAtMs)}` : 'not started'}${e.endedAtMs && e.startedAtMs ? `, took ${((e.endedAtMs - e.startedAtMs) / 1000).toFixed(1)} s` : ''}${e.exitCode !== undefined ? `, exit code ${e.exitCode}` : ''}</p>
        <pre>${e.output}</pre>`,
    )}`;
}

/** At the top of a failed run's request: why, and the failed executions' last output lines (stderr preferred). */
function failureSummary(detail: RunDetail): Html {
  const failed = detail.executions.filter((e) => e.status === 'error');
  return html`<section class="notice bad" role="alert" id="run-failure">
    <strong class="bad">This run failed.</strong>
    ${detail.summary.errors.map((e) => html`<div>${e}</div>`)}
    ${failed.map((e) => {
      const lines = lastOutputLines(e.log);
      return lines.length ? html`<pre aria-label="Last output of ${e.spec.node ?? e.spec.step}">${lines.join('\n')}</pre>` : '';
    })}
  </section>`;
}

/** A refused reload of hooklaunch.yaml stays on the overview until a reload succeeds. */
function reloadBanner(status: ReloadStatus | undefined) {
  if (!status || status.ok) return '';
  return html`<section class="notice bad" role="alert" id="reload-refused"><b>hooklaunch.yaml was not reloaded</b> (${new Date(status.atMs).toISOString()}): the running triggers stay.
    <ul>${status.issues.map((issue) => html`<li><code>${issue}</code></li>`)}</ul></section>`;
}
