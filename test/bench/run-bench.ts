/**
 * `npm run bench [-- --quick]`, measured as issue 14 asks: each server in its own process pinned
 * to CPU 0 (`taskset -c 0`), this process and its load generator (load-generator.ts) pinned to CPU 1, 50 keep-alive
 * connections, a warm-up, then a fixed measured period; one table with each row's ratio to the
 * bare node:http reference measured in the same run, and a Targets block saying which are met.
 * Every row is checked for having measured what it says (all 2xx, or all the expected rejection).
 * Loopback only; every run is bounded in time. It is a report: it exits 0 whatever it finds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDatabase } from '../helpers/postgres.js';
import { runLoad, type LoadRequest, type LoadResult } from './load-generator.js';
import { sendFlood } from './send-flood.js';
import { floorLines, referenceRps, rowProblem, targetLines, type Expected, type Extras, type Row } from './bench-targets.js';
import { GENERIC, GITHUB, ID, SLACK, fixedPush, forged, githubSigned, hmacSigned, launchPath, paddedBody, pushBody, slackSigned, writeConfig } from './bench-requests.js';

const quick = process.argv.includes('--quick');
// `--only=github,reject`: just those groups (and always the bare reference), while working on one path.
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const want = (group: 'peers' | 'generic' | 'github' | 'slack' | 'reject' | 'many' | 'pg' | 'payload' | 'flood' | 'saturated' | 'rss'): boolean => only === undefined || only.includes(group);
const MEASURE_S = quick ? 3 : 10;
const WARMUP_S = quick ? 1 : 3;
const CONNECTIONS = 50;
const FLOOD_REQUESTS = quick ? 500 : 10_000;
const SERVER = join(import.meta.dirname, 'peer-server.ts');
const PINNED_ENV = 'HOOKLAUNCH_BENCH_PINNED';

/** Whether this machine lets us pin to CPUs 0 and 1 (taskset present, two CPUs in our affinity mask). */
function canPin(): boolean {
  return cpus().length >= 2 && spawnSync('taskset', ['-c', '0,1', 'true'], { stdio: 'ignore' }).status === 0;
}

// Re-run this script pinned to CPU 1, so the orchestration and the load generator never share the server's core.
if (process.env[PINNED_ENV] === undefined) {
  if (canPin()) {
    const pinned = spawnSync('taskset', ['-c', '1', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, [PINNED_ENV]: '1' } });
    process.exit(pinned.status ?? 1);
  }
  process.env[PINNED_ENV] = '0';
}
const pinned = process.env[PINNED_ENV] === '1';

type Request = LoadRequest;

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
}

function startServer(kind: string, config?: string, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const command = [process.execPath, '--import', 'tsx', SERVER, kind, ...(config ? [config] : [])];
  const [file, ...args] = pinned ? ['taskset', '-c', '0', ...command] : command;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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

/** SIGTERM (hooklaunch closes its store), SIGKILL if it has not exited within 10 s. */
async function stop(server: Started): Promise<void> {
  server.child.removeAllListeners('exit');
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function load(url: string, requests: Request[], options: { duration?: number; amount?: number; connections?: number } = {}): Promise<LoadResult> {
  return runLoad({ url, connections: options.connections ?? CONNECTIONS, requests, ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? MEASURE_S }), timeoutMs: 30_000 });
}

function statusesOf(result: LoadResult): Record<string, number> {
  return Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, stats]) => [status, stats.count ?? 0]));
}

const rows: Row[] = [];

function toRow(key: string, name: string, expected: Expected, result: LoadResult, note?: string): Row {
  const row: Row = { key, name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, expected, statuses: statusesOf(result), errors: result.errors, ...(note && { note }) };
  rows.push(row);
  const problem = rowProblem(row);
  process.stderr.write(`  ${name}: ${Math.round(row.rps)} req/s, p99 ${row.p99} ms${problem ? `  ⚠ ${problem}` : ''}\n`);
  return row;
}

async function measure(key: string, name: string, server: Started, requests: Request[], expected: Expected, options: { connections?: number; note?: string } = {}): Promise<Row> {
  await load(server.url, requests, { duration: WARMUP_S, ...(options.connections && { connections: options.connections }) });
  const result = await load(server.url, requests, options.connections ? { connections: options.connections } : {});
  return toRow(key, name, expected, result, options.note);
}

/** What a SQLite store keeps on disk: the database, its WAL and its payload log's segments. */
function sqliteBytes(db: string): number {
  const segments = existsSync(`${db}.payloads`) ? readdirSync(`${db}.payloads`).map((name) => join(`${db}.payloads`, name)) : [];
  return [db, `${db}-wal`, ...segments].reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-bench-'));
  writeFileSync(join(dir, 'valohai.yaml'), '- step: {name: noop, image: x, command: "true"}\n- step: {name: slow, image: x, command: "sleep 30"}\n');
  // Measuring the durable accept path: launches wait in the queue (the 2 cores measure accepting, not running work).
  const paused = { HOOKLAUNCH_PAUSE_LAUNCHES: '1' };
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const placement = pinned ? 'server pinned to CPU 0, load generator to CPU 1 (taskset)' : 'UNPINNED: taskset missing or fewer than 2 CPUs usable, server and load generator share the cores';
  process.stderr.write(`hooklaunch benchmark (${quick ? 'quick' : 'full'}) on ${machine}; ${placement}\n`);

  let configs = 0;
  /** One hooklaunch server over a fresh database, its files removed after `body`. */
  const hooklaunch = async (triggers: string, body: (server: Started, db: string) => Promise<void>, options: { store?: string; extra?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> => {
    const { file, db } = writeConfig(dir, `c${++configs}`, triggers, options);
    const server = await startServer('hooklaunch', file, options.env ?? paused);
    try {
      await body(server, db);
    } finally {
      await stop(server);
      for (const suffix of ['', '-wal', '-shm', '.payloads']) rmSync(`${db}${suffix}`, { force: true, recursive: true });
      // The next row starts on a settled disk: the writeback of what this one wrote, and the
      // discards of the files just removed (a filesystem mounted with `discard`), not on its time.
      spawnSync('sync');
    }
  };
  const peer = async (key: string, name: string, kind: string, requests: Request[], argument?: string): Promise<void> => {
    const server = await startServer(kind, argument);
    try {
      await measure(key, name, server, requests, '2xx');
    } finally {
      await stop(server);
    }
  };

  await peer('bare', 'bare node:http (reads the body, 200)', 'bare', [fixedPush('/', false)]);
  if (want('peers')) await peer('hmac', 'node:http + HMAC-SHA256 check', 'hmac', [fixedPush('/', true)]);
  if (want('peers') || want('github')) await peer('octokit', '@octokit/webhooks 14 middleware', 'octokit', [fixedPush('/github', true)]);
  if (want('peers') || want('slack')) await peer('bolt', '@slack/bolt 5 /predict ack', 'bolt', [slackSigned('/slack/events')]);

  const generic = launchPath(ID(3));
  // Each floor (floor-servers.ts) is fed what the row it bounds is fed, and runs with that row's group.
  if (want('peers') || want('generic')) await peer('floor', 'floor: node:http + HMAC + JSON.parse + sha256 + append + fdatasync (no database)', 'floor', [hmacSigned(generic, pushBody)]);
  if (want('peers') || want('slack')) await peer('floor-slack', 'floor, Slack: node:http + v0 signature + form parse + append + fdatasync (no database)', 'floor-slack', [slackSigned(launchPath(ID(2)))]);
  if (want('generic')) await hooklaunch(GENERIC(ID(3)), (s) => measure('generic', 'hooklaunch generic HMAC + timestamp + filter + rate limit (durable accept)', s, [hmacSigned(generic, pushBody)], '2xx').then(() => undefined));
  if (want('github')) await hooklaunch(GITHUB(ID(1)), (s) => measure('github', 'hooklaunch GitHub push (fresh pushes: new commit sha, signature and delivery id)', s, [githubSigned(launchPath(ID(1)))], '2xx').then(() => undefined));
  if (want('slack')) await hooklaunch(SLACK(ID(2)), (s) => measure('slack', 'hooklaunch Slack /predict ack (fresh trigger_id)', s, [slackSigned(launchPath(ID(2)))], '2xx').then(() => undefined));
  const rejects = async (prefix: string, label: string, path: string, server: Started, kinds: ReadonlyArray<'signature' | 'unknown' | 'stale'>): Promise<void> => {
    const scenarios = {
      signature: { name: 'bad signature', request: hmacSigned(path, pushBody, { secret: 'wrong-secret' }), expected: 400 },
      unknown: { name: 'unknown trigger, fresh random id', request: hmacSigned(path, pushBody, { randomTrigger: true }), expected: 404 },
      stale: { name: 'stale timestamp', request: hmacSigned(path, pushBody, { skewS: -3600 }), expected: 400 },
    } as const;
    for (const kind of kinds) {
      const { name, request, expected } = scenarios[kind];
      await measure(`${prefix}reject-${kind}`, `hooklaunch${label} reject: ${name}`, server, [request], expected);
    }
  };
  if (want('reject')) await hooklaunch(GENERIC(ID(3)), (s) => rejects('', '', generic, s, ['signature', 'unknown', 'stale']));

  // The same request among 10,000 configured triggers. The rejections on a server of their own, as
  // with one trigger: measured after the accept flood, they measured its aftermath (the WAL
  // checkpoint and the collection of what it left) at about a third of their rate.
  const many = launchPath(ID(100 + 4242));
  const manyTriggers = Array.from({ length: 10_000 }, (_, i) => GENERIC(ID(100 + i))).join('');
  if (want('many')) {
    await hooklaunch(manyTriggers, (s) => measure('many-generic', 'hooklaunch 10,000 triggers: generic durable accept', s, [hmacSigned(many, pushBody)], '2xx').then(() => undefined));
    await hooklaunch(manyTriggers, (s) => rejects('many-', ' 10,000 triggers', many, s, ['signature', 'unknown']));
  }

  // PostgreSQL as CI has it: a database of its own per row, dropped after. The rejections get a
  // fresh one too: after the accept row, they measured the server still vacuuming and
  // checkpointing the accepts' tables. Each row starts on a settled disk, as the SQLite rows do:
  // creating a database writes its files, dropping one checkpoints and deletes them.
  if (want('pg') && process.env.HOOKLAUNCH_TEST_POSTGRES_URL) {
    const onFreshDatabase = async (row: (url: string) => Promise<void>): Promise<void> => {
      const database = await freshDatabase();
      spawnSync('sync');
      try {
        await row(database.url);
      } finally {
        await database.drop();
      }
    };
    const env = { ...paused, HOOKLAUNCH_SECRET_KEY: '7f'.repeat(32) };
    await onFreshDatabase((url) => peer('floor-pg', 'floor, PostgreSQL: node:http + HMAC + JSON.parse + sha256 + one INSERT per group commit', 'floor-pg', [hmacSigned(generic, pushBody)], url));
    await onFreshDatabase((url) => hooklaunch(GENERIC(ID(3)), (s) => measure('pg-generic', 'hooklaunch PostgreSQL: generic durable accept', s, [hmacSigned(generic, pushBody)], '2xx').then(() => undefined), { store: url, env }));
    await onFreshDatabase((url) => hooklaunch(GENERIC(ID(3)), (s) => measure('pg-reject-signature', 'hooklaunch PostgreSQL reject: bad signature', s, [hmacSigned(generic, pushBody, { secret: 'wrong-secret' })], 400).then(() => undefined), { store: url, env }));
  } else if (want('pg')) {
    process.stderr.write('  (no PostgreSQL rows: HOOKLAUNCH_TEST_POSTGRES_URL is not set)\n');
  }

  if (!quick && want('payload')) {
    // 5 MB at 10 connections: 50 at once would pass server.limits.max_inflight_bytes_per_trigger (64 MiB) and measure 503s.
    for (const [label, size, connections] of [['1 KB', 1024, CONNECTIONS], ['100 KB', 100 * 1024, CONNECTIONS], ['5 MB', 5 * 1024 * 1024, 10]] as const) {
      const note = connections === CONNECTIONS ? undefined : `${connections} connections`;
      await hooklaunch(GENERIC(ID(3)), (s) => measure(`payload-${label}`, `hooklaunch payload ${label}`, s, [hmacSigned(generic, paddedBody(size))], '2xx', { connections, ...(note && { note }) }).then(() => undefined));
    }
  }

  // Forged 1 MB bodies: what the database keeps of requests nobody authenticated. The baseline is
  // the same database after a clean start and stop, so migrations and WAL checkpoints cancel out.
  let flood: Extras['flood'];
  if (want('flood')) {
    const { file, db } = writeConfig(dir, 'flood', GENERIC(ID(5)));
    await stop(await startServer('hooklaunch', file, paused));
    const before = sqliteBytes(db);
    const server = await startServer('hooklaunch', file, paused);
    const request = forged(launchPath(ID(5)), paddedBody(2 ** 20));
    const result = await sendFlood(server.url, request.path!, Buffer.from(request.body as string), request.headers as Record<string, string>, { requests: FLOOD_REQUESTS, concurrency: CONNECTIONS });
    await stop(server); // closed cleanly: whatever the store buffers is on disk before measuring
    const problem = rowProblem({ expected: 400, statuses: result.statuses, errors: result.errors });
    flood = { growthBytes: sqliteBytes(db) - before, requests: FLOOD_REQUESTS, seconds: result.seconds, problem };
    process.stderr.write(`  flood: ${FLOOD_REQUESTS} forged 1 MB requests in ${result.seconds.toFixed(1)} s grew the SQLite files by ${(flood.growthBytes / 2 ** 20).toFixed(1)} MB${problem ? `  ⚠ ${problem}` : ''}\n`);
  }

  // Slack acks while the local runner is saturated with long executions (launches running).
  if (want('saturated')) await hooklaunch(
    SLACK(ID(4), 'slow'),
    async (server) => {
      await load(server.url, [slackSigned(launchPath(ID(4)))], { amount: 20, connections: 2 });
      const result = await load(server.url, [slackSigned(launchPath(ID(4)))], { duration: MEASURE_S, connections: 10 });
      toRow('slack-saturated', 'hooklaunch Slack ack, local runner saturated', '2xx', result, '10 connections');
    },
    { extra: 'launcher: {kind: local, concurrency: 2}', env: {} },
  );

  let rss: Extras['rss'];
  if (!quick && want('rss')) {
    // A small body, as before: 200,000 stored pushes would be 1.5 GB of database for a memory check.
    const small = paddedBody(64);
    await hooklaunch(GENERIC(ID(3)), async (server) => {
      const rssOf = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024;
      await load(server.url, [hmacSigned(generic, small)], { amount: 100_000 });
      const at100k = rssOf();
      await load(server.url, [hmacSigned(generic, small)], { amount: 100_000 });
      rss = { at100k, at200k: rssOf() };
    });
  }
  rmSync(dir, { recursive: true, force: true });

  // The reference again: other work on the machine during the run shows up as drift between the two.
  await peer('bare-end', 'bare node:http again, at the end (drift check)', 'bare', [fixedPush('/', false)]);
  const bare = referenceRps(rows)!;
  const drift = rows.find((r) => r.key === 'bare-end')!.rps / rows.find((r) => r.key === 'bare')!.rps - 1;
  const table = rows.flatMap((r) => {
    const line = `| ${r.name}${r.note ? ` (${r.note})` : ''} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / bare).toFixed(2)} |`;
    const problem = rowProblem(r);
    return problem ? [line, `| ⚠ WARNING: the row above did not measure what it says: ${problem} | | | | |`] : [line];
  });
  const lines = [
    `hooklaunch benchmark — ${machine} — ${new Date().toISOString().slice(0, 10)} — ${placement} — ${CONNECTIONS} keep-alive connections, ${MEASURE_S} s measured after ${WARMUP_S} s warm-up${quick ? ' (quick)' : ''}`,
    '',
    `× bare: to the faster of the two bare node:http measurements (start, end): ${Math.round(bare)} req/s`,
    '',
    '| server / scenario | req/s | p50 ms | p99 ms | × bare |',
    '|---|---:|---:|---:|---:|',
    ...table,
    ...(Math.abs(drift) > 0.15 ? ['', `⚠ WARNING: the bare reference moved ${(drift * 100).toFixed(0)} % between the start and the end of the run: the machine was busy with other work; the ratios are unreliable`] : []),
    ...(flood
      ? [
          '',
          `flood: ${flood.requests.toLocaleString('en')} forged 1 MB requests (bad signature, ${CONNECTIONS} at a time, a connection each) in ${flood.seconds.toFixed(1)} s grew the SQLite files (db + wal + payload log) by ${(flood.growthBytes / 2 ** 20).toFixed(1)} MB`,
          ...(flood.problem ? [`⚠ WARNING: the flood did not measure what it says: ${flood.problem}`] : []),
        ]
      : []),
    ...(rss ? [`RSS after 100k / 200k accepted requests: ${rss.at100k.toFixed(0)} / ${rss.at200k.toFixed(0)} MiB`] : []),
    '',
    ...targetLines(rows, { flood, rss }),
    ...floorLines(rows),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
