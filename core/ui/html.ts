/**
 * Tiny server-side HTML: escaped by default. Server-rendered pages need no bundle, no build
 * step and no network beyond the service, and every view is a plain URL to share.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function escape(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Tagged template: interpolations are escaped unless they are Html (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escape(value);
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1d1f23; --muted: #5b6270; --bg: #fff; --line: #d9dce1; --ok: #1a7f37; --bad: #b42318; --warn: #9a6700; --accent: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --muted: #a0a7b4; --bg: #16181c; --line: #343a44; --ok: #4ac26b; --bad: #ff7b72; --warn: #d29922; --accent: #6cb6ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1rem; align-items: baseline; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); }
header a { color: inherit; text-decoration: none; font-weight: 600; }
main { padding: 1rem 1.5rem 3rem; max-width: 1280px; }
h1 { font-size: 1.35rem; margin: .5rem 0 1rem; } h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); font-weight: 600; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: color-mix(in srgb, var(--fg) 6%, transparent); padding: .75rem; overflow: auto; max-height: 28rem; border-radius: 6px; }
.muted { color: var(--muted); } .ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; border: 1px solid currentColor; }
form.inline { display: inline; } button, input, select, textarea { font: inherit; }
button { padding: .3rem .8rem; border: 1px solid var(--line); border-radius: 6px; background: transparent; color: inherit; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
a.button { display: inline-block; padding: .3rem .8rem; border: 1px solid var(--line); border-radius: 6px; color: inherit; text-decoration: none; }
.danger, a.button.danger { color: var(--bad); border-color: var(--bad); } button.danger { background: var(--bad); color: #fff; }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; } .actions form { display: flex; gap: .5rem; }
ul.diff { margin: 0; padding-left: 1rem; }
.chart { margin: 0; max-width: 720px; } .chart > svg { width: 100%; height: auto; display: block; } .chart figcaption { font-size: .8rem; color: var(--muted); } .chart .key { margin-right: .75rem; }
/* Phones: wide tables scroll sideways instead of pushing the page wider than the screen. */
@media (max-width: 640px) { main { padding: .75rem; } table { display: block; overflow-x: auto; } dd { overflow-wrap: anywhere; } }
.filters { display: flex; gap: .75rem; align-items: end; margin: .5rem 0 1rem; flex-wrap: wrap; }
.filters label, .stack label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .2rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; } dt { color: var(--muted); } dd { margin: 0; }
textarea { width: 100%; min-height: 8rem; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
.notice { padding: .6rem .8rem; border: 1px solid var(--line); border-radius: 6px; margin: .75rem 0; }
.notice.bad { border-color: var(--bad); border-left-width: 4px; } .notice pre { color: var(--fg); margin: .5rem 0 0; }
.stats { display: flex; gap: 1.5rem; margin: 0 0 1rem; } .stats div { display: flex; flex-direction: column; } .stats b { font-size: 1.2rem; }
`;

export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · hooklaunch</title><style>${new Html(STYLE)}</style></head>
<body><header><a href="/ui/">hooklaunch</a><span class="muted">triggers and their requests</span></header>
<main>${body}</main></body></html>`.text;
}

const OUTCOME_CLASS: Record<string, string> = { accepted: 'ok', batched: 'ok', duplicate: 'muted', rejected: 'bad', ignored: 'warn', handshake: 'muted' };

export function outcomeBadge(outcome: string): Html {
  return html`<span class="badge ${OUTCOME_CLASS[outcome] ?? ''}">${outcome}</span>`;
}

const RUN_CLASS: Record<string, string> = { completed: 'ok', pending: 'warn', error: 'bad', complete_with_error: 'bad' };

/** A run's status (run-status.ts): red when any of its work failed, amber while it is pending. */
export function runStatusBadge(status: string, id?: string): Html {
  return html`<span class="badge ${RUN_CLASS[status] ?? ''}"${id ? html` id="${id}"` : ''}>${status}</span>`;
}

const EXECUTION_CLASS: Record<string, string> = { complete: 'ok', queued: 'muted', started: 'warn', error: 'bad', cancelled: 'bad', stopped: 'bad' };

export function executionStatusBadge(status: string): Html {
  return html`<span class="badge ${EXECUTION_CLASS[status] ?? ''}">${status}</span>`;
}

export function time(ms: number | undefined): Html {
  if (ms === undefined) return html`<span class="muted">never</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}
