/**
 * `npm run bench [-- --quick]`: each server in its own process on 127.0.0.1, driven by
 * autocannon from this one (50 connections, warm-up, then a fixed measured period), and one
 * table with the ratio of each to the bare node:http reference measured in the same run.
 * Loopback only; every run is bounded in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const quick = process.argv.includes('--quick');
const MEASURE_S = quick ? 3 : 10;
const WARMUP_S = quick ? 1 : 3;
const CONNECTIONS = 50;
const SECRET = 'bench-secret-0123456789';
const SERVER = join(import.meta.dirname, 'peer-server.ts');

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
const push = examples.find((g) => g.name === 'push')!.examples.filter((e) => String(e.ref).startsWith('refs/heads/')).sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0]!;
const pushBody = JSON.stringify(push);
const githubSignature = `sha256=${createHmac('sha256', SECRET).update(pushBody).digest('hex')}`;

interface Row {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly note?: string;
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
}

function startServer(kind: string, config?: string, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER, kind, ...(config ? [config] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = out.split('\n')[0];
      if (out.includes('\n') && url?.startsWith('http')) resolve({ child, url });
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`${kind} server exited (${code}): ${out}`)));
  });
}

async function stop(server: Started): Promise<void> {
  server.child.removeAllListeners('exit');
  server.child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 300));
  server.child.kill('SIGKILL');
}

type Request = autocannon.Request;

async function load(url: string, requests: Request[], options: { duration?: number; amount?: number; connections?: number } = {}): Promise<autocannon.Result> {
  return autocannon({ url, connections: options.connections ?? CONNECTIONS, requests, ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? MEASURE_S }), timeout: 30 });
}

async function measure(name: string, server: Started, requests: Request[], note?: string): Promise<Row> {
  await load(server.url, requests, { duration: WARMUP_S });
  const result = await load(server.url, requests);
  const row = { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts, ...(note && { note }) };
  process.stderr.write(`  ${name}: ${Math.round(row.rps)} req/s, p99 ${row.p99} ms\n`);
  return row;
}

function slackSigned(path: string, command = '/predict'): Request {
  return {
    method: 'POST',
    path,
    setupRequest: (request) => {
      const body = new URLSearchParams({ command, text: 'https://example.test/cat.png', response_url: 'https://hooks.slack.com/commands/T/1/x', trigger_id: randomUUID(), user_id: 'U1', team_id: 'T1', channel_id: 'C1' }).toString();
      const ts = String(Math.floor(Date.now() / 1000));
      const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
      return { ...request, body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature } };
    },
  };
}

function githubSigned(path: string): Request {
  return {
    method: 'POST',
    path,
    body: pushBody,
    setupRequest: (request) => ({ ...request, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': githubSignature } }),
  };
}

function hmacSigned(path: string, body: string, secret = SECRET): Request {
  return {
    method: 'POST',
    path,
    body,
    setupRequest: (request) => {
      const ts = String(Math.floor(Date.now() / 1000));
      return { ...request, headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}` } };
    },
  };
}

const ID = (n: number) => `0190fe82-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

function writeConfig(dir: string, name: string, triggers: string, extra = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `store: {url: "sqlite:${join(dir, `${name}.db`)}"}\nproject: {path: "${dir}"}\n${extra}\ntriggers:\n${triggers}`);
  return file;
}

const GENERIC = (id: string) => `  - id: ${id}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Signature, prefix: "sha256=", secret: ${SECRET}, message: "{timestamp}.{body}"}
      - {type: timestamp, key: X-Timestamp, tolerance: 300}
      - {type: payload-filter, lookup: data.kind, operation: equals, value: csv}
      - {type: rate-limit, period: 3600, quota: 100000000}
    actions: [{type: run-execution, step: noop}]
    max_body_bytes: 10000000
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-bench-'));
  writeFileSync(join(dir, 'valohai.yaml'), '- step: {name: noop, image: x, command: "true"}\n- step: {name: slow, image: x, command: "sleep 30"}\n');
  // Measuring the durable accept path: launches wait in the queue (the 2 cores measure accepting, not running work).
  const paused = { HOOKLAUNCH_PAUSE_LAUNCHES: '1' };
  const rows: Row[] = [];
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  process.stderr.write(`hooklaunch benchmark (${quick ? 'quick' : 'full'}) on ${machine}\n`);

  const run = async (name: string, kind: string, config: string | undefined, requests: (base: string) => Request[], note?: string, env: NodeJS.ProcessEnv = paused): Promise<Row> => {
    const server = await startServer(kind, config, env);
    try {
      const row = await measure(name, server, requests(server.url));
      rows.push(note ? { ...row, note } : row);
      return row;
    } finally {
      await stop(server);
    }
  };

  const bare = await run('bare node:http (reference)', 'bare', undefined, () => [{ method: 'POST', path: '/', body: pushBody }]);
  const octokit = await run('@octokit/webhooks middleware', 'octokit', undefined, () => [
    { method: 'POST', path: '/github', body: pushBody, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': '1', 'x-hub-signature-256': githubSignature } },
  ]);
  await run('@slack/bolt receiver /predict', 'bolt', undefined, () => [slackSigned('/slack/events')]);

  const github = writeConfig(dir, 'github', `  - id: ${ID(1)}\n    connector: {type: github, secret: ${SECRET}}\n    actions: [{type: fetch-repository}]\n`);
  const durable = await run('hooklaunch GitHub push (7 KB, durable accept)', 'hooklaunch', github, () => [githubSigned(`/api/v0/launch/${ID(1)}/`)]);
  const slack = writeConfig(dir, 'slack', `  - id: ${ID(2)}\n    connector: {type: slack, secret: ${SECRET}, commands: [/predict], follow_up: false}\n    actions: [{type: run-execution, step: noop}]\n`);
  await run('hooklaunch Slack /predict ack', 'hooklaunch', slack, () => [slackSigned(`/api/v0/launch/${ID(2)}/`)]);
  const generic = writeConfig(dir, 'generic', GENERIC(ID(3)));
  const dataBody = JSON.stringify({ data: { kind: 'csv', source: 's3://bucket/x.csv' } });
  const one = await run('hooklaunch HMAC + timestamp + filter + rate limit', 'hooklaunch', generic, () => [hmacSigned(`/api/v0/launch/${ID(3)}/`, dataBody)]);
  const rejected = await run('hooklaunch reject path (bad signature)', 'hooklaunch', generic, () => [hmacSigned(`/api/v0/launch/${ID(3)}/`, dataBody, 'wrong-secret')]);

  let many: Row | undefined;
  if (!quick) {
    const triggers = Array.from({ length: 10_000 }, (_, i) => GENERIC(ID(100 + i))).join('');
    const big = writeConfig(dir, 'many', triggers);
    many = await run('hooklaunch 10,000 triggers (same request)', 'hooklaunch', big, () => [hmacSigned(`/api/v0/launch/${ID(100 + 4242)}/`, dataBody)]);
    for (const [label, size] of [['1 KB', 1024], ['100 KB', 100 * 1024], ['5 MB', 5 * 1024 * 1024]] as const) {
      const body = JSON.stringify({ data: { kind: 'csv', pad: 'x'.repeat(size - 40) } });
      await run(`hooklaunch payload ${label}`, 'hooklaunch', generic, () => [hmacSigned(`/api/v0/launch/${ID(3)}/`, body)]);
    }
  }

  // Slack acks while the local runner is saturated with long executions (launches running).
  const busy = writeConfig(dir, 'busy', `  - id: ${ID(4)}\n    connector: {type: slack, secret: ${SECRET}, follow_up: false}\n    actions: [{type: run-execution, step: slow}]\n`, 'launcher: {kind: local, concurrency: 2}');
  const saturated = await startServer('hooklaunch', busy, {});
  try {
    await load(saturated.url, [slackSigned(`/api/v0/launch/${ID(4)}/`)], { amount: 20, connections: 2 });
    const result = await load(saturated.url, [slackSigned(`/api/v0/launch/${ID(4)}/`)], { duration: quick ? 3 : 10, connections: 10 });
    rows.push({ name: 'hooklaunch Slack ack, local runner saturated', rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors, note: '10 connections' });
  } finally {
    await stop(saturated);
  }

  let rss: { at100k: number; at200k: number } | undefined;
  if (!quick) {
    const server = await startServer('hooklaunch', generic, paused);
    try {
      const rssOf = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024;
      await load(server.url, [hmacSigned(`/api/v0/launch/${ID(3)}/`, dataBody)], { amount: 100_000 });
      const at100k = rssOf();
      await load(server.url, [hmacSigned(`/api/v0/launch/${ID(3)}/`, dataBody)], { amount: 100_000 });
      rss = { at100k, at200k: rssOf() };
    } finally {
      await stop(server);
    }
  }
  rmSync(dir, { recursive: true, force: true });

  const ratio = (r: Row): string => (r.rps / bare.rps).toFixed(2);
  const lines = [
    `hooklaunch benchmark — ${machine} — ${new Date().toISOString().slice(0, 10)} — ${CONNECTIONS} connections, ${MEASURE_S} s measured after ${WARMUP_S} s warm-up${quick ? ' (quick)' : ''}`,
    '',
    '| server / scenario | req/s | p50 ms | p99 ms | × bare | non-2xx | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name}${r.note ? ` (${r.note})` : ''} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${ratio(r)} | ${r.non2xx} | ${r.errors} |`),
    '',
    'Targets:',
  ];
  const target = (ok: boolean, text: string): void => void lines.push(`  ${ok ? 'met   ' : 'MISSED'}  ${text}`);
  target(durable.rps >= 0.5 * bare.rps, `durable accept ≥ 0.5× bare node:http: ${ratio(durable)}×`);
  target(durable.rps >= 2 * octokit.rps, `durable accept ≥ 2× the octokit middleware: ${(durable.rps / octokit.rps).toFixed(2)}×`);
  target(rejected.rps >= 0.55 * bare.rps, `reject path ≥ 0.55× bare: ${ratio(rejected)}×`);
  target(durable.p99 <= 10, `p99 ≤ 10 ms at ${CONNECTIONS} connections: ${durable.p99} ms (durable accept)`);
  if (many) target(many.rps >= 0.95 * one.rps, `10,000 triggers within 5 % of 1: ${((many.rps / one.rps - 1) * 100).toFixed(1)} %`);
  const slackBusy = rows.at(-1)!;
  target(slackBusy.p99 <= 50, `Slack ack p99 ≤ 50 ms with the runner saturated: ${slackBusy.p99} ms`);
  if (rss) target(Math.abs(rss.at200k / rss.at100k - 1) <= 0.1, `RSS stable (±10 %) from 100k to 200k requests: ${rss.at100k.toFixed(0)} → ${rss.at200k.toFixed(0)} MiB`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
