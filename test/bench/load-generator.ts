/**
 * The bench's load generator: keep-alive HTTP/1.1 connections on raw sockets, one request in
 * flight per connection, latency per request.
 *
 * Hand-written rather than autocannon because a generator that is slower than the server
 * measures itself: autocannon rebuilds and re-parses every request in JavaScript once a request
 * needs a fresh value (a delivery id, a timestamp signature), and on one core it tops out at
 * about 18,000 req/s for the signed 7.7 KB push (measured against bare node:http, 2026-11-28),
 * below the rates issue 14 asks the bench to tell apart. Here the body bytes are shared between
 * requests and only the head is written per request, so every row, peers included, is driven
 * by the same loop.
 */
import { connect, type Socket } from 'node:net';

/** What to send: autocannon's request shape, which the scenarios are written in. */
export interface LoadRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Called per request for the values that must be fresh (ids, signatures). */
  readonly setupRequest?: (request: LoadRequest) => LoadRequest;
}

export interface LoadOptions {
  readonly url: string;
  readonly requests: readonly LoadRequest[];
  readonly connections: number;
  /** Seconds to run; or `amount` requests in all. */
  readonly duration?: number;
  readonly amount?: number;
  /** A request unanswered this long counts as an error and its connection is replaced. */
  readonly timeoutMs?: number;
}

export interface LoadResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly statusCodeStats: Record<string, { count: number }>;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationS: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');

function render(base: LoadRequest, host: string): { head: string; body: Buffer } {
  const request = base.setupRequest ? base.setupRequest(base) : base;
  const body = request.body === undefined ? EMPTY : typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
  let head = `${request.method ?? 'GET'} ${request.path ?? '/'} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${body.length}\r\n`;
  for (const name in request.headers) head += `${name}: ${request.headers[name]}\r\n`;
  return { head: `${head}\r\n`, body };
}

const EMPTY = Buffer.alloc(0);

/** A static request's bytes are rendered once. */
function renderer(request: LoadRequest, host: string): () => { head: string; body: Buffer } {
  if (request.setupRequest) return () => render(request, host);
  const once = render(request, host);
  return () => once;
}

interface Parsed {
  readonly status: number;
  readonly length: number;
  readonly close: boolean;
}

/** Status, total bytes and keep-alive of the response at the start of `data`, or undefined while incomplete. */
function parseResponse(data: Buffer): Parsed | undefined {
  const end = data.indexOf(CRLF2);
  if (end < 0) return undefined;
  const head = data.toString('latin1', 0, end).toLowerCase();
  const status = Number(head.slice(9, 12));
  const close = /\r\nconnection: *close/.test(head);
  const lengthMatch = /\r\ncontent-length: *(\d+)/.exec(head);
  if (lengthMatch) {
    const length = end + 4 + Number(lengthMatch[1]);
    return data.length >= length ? { status, length, close } : undefined;
  }
  if (/\r\ntransfer-encoding: *chunked/.test(head)) {
    const last = data.indexOf('\r\n0\r\n\r\n', end);
    if (last >= 0) return { status, length: last + 7, close };
    // An empty chunked body: the terminator right after the head.
    if (data.indexOf('0\r\n\r\n', end + 4) === end + 4) return { status, length: end + 9, close };
    return undefined;
  }
  // No body framing: the body ends with the connection.
  return close ? undefined : { status, length: end + 4, close };
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const host = target.host;
  const port = Number(target.port);
  const next = renderer(options.requests[0]!, host);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const latencies: number[] = [];
  const statuses: Record<string, { count: number }> = {};
  let errors = 0;
  let timeouts = 0;
  let sent = 0;
  let done = false;
  const started = performance.now();
  const deadline = options.duration !== undefined ? started + options.duration * 1000 : Infinity;
  let open = 0;

  return new Promise((resolve) => {
    const finish = (): void => {
      if (open > 0) return;
      const durationS = (performance.now() - started) / 1000;
      const sorted = Float64Array.from(latencies).sort();
      const pct = (p: number): number => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100 : 0);
      const total = latencies.length;
      let non2xx = 0;
      for (const [status, stats] of Object.entries(statuses)) if (!status.startsWith('2')) non2xx += stats.count;
      resolve({ requests: { average: total / durationS, total }, latency: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: pct(1) }, statusCodeStats: statuses, non2xx, errors, timeouts, durationS });
    };
    const more = (): boolean => !done && performance.now() < deadline && (options.amount === undefined || sent < options.amount);

    const connection = (): void => {
      if (!more()) return finish();
      open++;
      const socket: Socket = connect({ host: target.hostname, port, noDelay: true });
      let pending: Buffer = EMPTY;
      let sentAt = 0;
      let inFlight = false;
      let timer: NodeJS.Timeout | undefined;
      const send = (): void => {
        if (!more()) {
          socket.end();
          return;
        }
        const { head, body } = next();
        sent++;
        inFlight = true;
        sentAt = performance.now();
        socket.cork();
        socket.write(head, 'latin1');
        if (body.length) socket.write(body);
        socket.uncork();
        timer?.refresh();
      };
      timer = setTimeout(() => {
        if (!inFlight) return;
        timeouts++;
        socket.destroy();
      }, timeoutMs);
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        const parsed = parseResponse(pending);
        if (!parsed) return;
        inFlight = false;
        latencies.push(performance.now() - sentAt);
        const key = String(parsed.status);
        (statuses[key] ??= { count: 0 }).count++;
        pending = pending.length > parsed.length ? pending.subarray(parsed.length) : EMPTY;
        if (parsed.close) socket.destroy();
        else send();
      });
      socket.on('error', () => {
        if (inFlight) errors++;
        inFlight = false;
      });
      socket.on('close', () => {
        clearTimeout(timer);
        open--;
        // A connection the server closed (Connection: close, or an error) is replaced while the run lasts.
        if (more()) connection();
        else finish();
      });
    };

    if (options.duration !== undefined) setTimeout(() => (done = true), options.duration * 1000).unref();
    for (let i = 0; i < options.connections; i++) connection();
  });
}
