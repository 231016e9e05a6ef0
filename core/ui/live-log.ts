/**
 * The trigger page's request list: its rows, the free-text filter, and the live stream of new
 * rows (server-sent events) that the page prepends without a reload.
 */
import type { Request, Response } from 'express';
import type { HttpContext } from '../http/context.js';
import { LOG_OUTCOMES, type LogOutcome } from '../store/store.js';
import { readTriggerLog, repeated, type TriggerLogLine } from '../trigger-log/read-trigger-log.js';
import { Html, html, outcomeBadge, runStatusBadge, time } from './html.js';

export const OUTCOMES: readonly LogOutcome[] = LOG_OUTCOMES;
/** Open streams per process: each polls the store, so a forgotten tab farm cannot multiply the load without bound. */
export const MAX_STREAMS = 20;
const POLL_MS = 500;
const HEARTBEAT_MS = 15_000;

export interface LogFilters {
  readonly outcome?: LogOutcome | undefined;
  readonly code?: string | undefined;
  readonly text?: string | undefined;
}

export function logFilters(query: Request['query']): LogFilters {
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  return { outcome: OUTCOMES.find((o) => o === query.outcome), code: str(query.code), text: str(query.q) };
}

/**
 * Free text over message, code, request id and remote address. Matched here over the page of lines
 * the store returned (not a store-side LIKE, which every store backend would have to grow), so a
 * text filter narrows the newest 200 lines rather than searching the whole log.
 */
export function matchesText(line: TriggerLogLine, text: string | undefined): boolean {
  if (!text) return true;
  const needle = text.toLowerCase();
  return [line.message, line.code, line.requestId, line.remoteAddress].some((field) => (field ?? '').toLowerCase().includes(needle));
}

export function logRow(e: TriggerLogLine): Html {
  return html`<tr data-seq="${e.seq}">
    <td><a href="/ui/requests/${e.requestId}">${time(e.receivedAtMs)}</a>${e.replayOf ? html` <span class="muted">(replay)</span>` : ''}</td>
    <td>${outcomeBadge(e.outcome)}</td>
    <td>${e.code ? html`<code>${e.code}</code> ` : ''}${e.message ?? ''}${repeated(e)}</td>
    <td>${e.remoteAddress}</td><td>${e.sizeBytes} B</td><td>${e.revision ?? ''}</td>
    <td>${e.runId ? html`<code>${e.runId}</code> ${e.launch ? runStatusBadge(e.launch.status) : ''}` : ''}</td>
  </tr>`;
}

/**
 * The page's subscriber: EventSource is built into every browser, so a few lines replace a
 * library. The stream carries the page's own filters, so every row it sends belongs in the list.
 */
export function liveLogScript(triggerId: string, afterSeq: number, filters: LogFilters): Html {
  const params = new URLSearchParams({ after: String(afterSeq) });
  if (filters.outcome) params.set('outcome', filters.outcome);
  if (filters.code) params.set('code', filters.code);
  if (filters.text) params.set('q', filters.text);
  const url = `/ui/triggers/${encodeURIComponent(triggerId)}/events?${params}`;
  return html`<script>(() => {
  const list = document.getElementById('request-rows'); const none = document.getElementById('no-requests');
  const source = new EventSource(${new Html(JSON.stringify(url).replace(/</g, '\\u003c'))});
  source.addEventListener('request', (e) => { const row = JSON.parse(e.data); list.insertAdjacentHTML('afterbegin', row.html); if (none) none.remove(); });
  window.addEventListener('pagehide', () => source.close());
})();</script>`;
}

/** net.Server sets `socket.server` on the sockets it accepts (Node's lib/net.js); it is not in @types/node. */
function stoppedListening(req: Request): boolean {
  const server = (req.socket as unknown as { server?: { listening?: boolean } }).server;
  return server?.listening === false;
}

/** Open event streams, shared by every trigger page of this process. */
export function createLiveLog(ctx: HttpContext) {
  let open = 0;
  return {
    get open(): number {
      return open;
    },
    async stream(req: Request, res: Response): Promise<void> {
      const trigger = ctx.triggers.get(String(req.params.id));
      if (!trigger) return void res.status(404).type('text').send('No such trigger\n');
      if (open >= MAX_STREAMS) return void res.status(503).set('retry-after', '5').type('text').send('Too many live request lists open; reload later\n');
      const filters = logFilters(req.query);
      const after = Number(req.query.after ?? req.get('last-event-id'));
      let seq = Number.isInteger(after) && after >= 0 ? after : ((await ctx.store.listLog({ triggerId: trigger.id, limit: 1 }))[0]?.seq ?? 0);
      open += 1;
      res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      let busy = false;
      const poll = setInterval(() => {
        // A stream never goes idle, so the service's graceful close would wait on it forever: end it
        // once the server stops listening (EventSource reconnects, with Last-Event-ID, to whichever
        // process answers next).
        if (stoppedListening(req)) return void res.end();
        if (busy) return;
        busy = true;
        readTriggerLog(ctx.store, ctx.rejections, { triggerId: trigger.id, afterSeq: seq, limit: 100, outcome: filters.outcome, code: filters.code })
          .then((lines) => {
            for (const line of lines) {
              seq = Math.max(seq, line.seq);
              if (matchesText(line, filters.text)) res.write(`id: ${line.seq}\nevent: request\ndata: ${JSON.stringify({ seq: line.seq, html: logRow(line).text })}\n\n`);
            }
          })
          .catch(() => undefined)
          .finally(() => {
            busy = false;
          });
      }, POLL_MS);
      // A comment line keeps proxies from closing an idle stream.
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      res.on('close', () => {
        clearInterval(poll);
        clearInterval(heartbeat);
        open -= 1;
      });
    },
  };
}
