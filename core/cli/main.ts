#!/usr/bin/env node
/** The `hooklaunch` command: serve, check, new-id, logs, runs, batch, send, replay, apply, export, reload, codegen, init, schema. The composition root: it hands the connector registry to the core. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { connectors } from '../../connectors/index.js';
import { adminTokensOf } from '../config/admin-tokens.js';
import { createAdminClient, refusalMessage } from './admin-client.js';
import { codegenCommand } from './codegen-command.js';
import { applyTriggers } from './apply-triggers.js';
import { exportTriggers } from './export-triggers.js';
import { readTriggersFile } from './read-triggers-file.js';
import { CliError } from './cli-error.js';
import { resolveTriggerArg, type TriggerName } from './resolve-trigger-arg.js';
import { formatRunLine, inWindow, matchesRun, parseRunStatus, parseTimeArg, RUN_STATUSES, type RunFilter, type RunListLine } from './run-filter.js';
import { formatBatchLine } from './batch-lines.js';
import { findRunningInstance, reachableUrl, removeRunFile, runFilePath, writeRunFile } from './run-file.js';
import { fetchService, serviceUrl, triggerUrlBase } from './service-url.js';
import { loadServerSection, loadServiceLocation, locationOf, type ServiceLocation } from '../config/load-service-location.js';
import { sampleBody } from '../triggers/sample-body.js';
import { createServiceLogger, LOG_FORMATS, LOG_LEVELS } from './service-logger.js';
import { preflight } from './preflight.js';
import { ConfigError, formatPath } from '../yaml/config-error.js';
import { checkTrigger } from '../config/check-trigger.js';
import { checkWarnings } from '../config/check-warnings.js';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../config/config-json-schema.js';
import { loadConfig, type ConnectorBinding, type LoadedConfig } from '../config/load-config.js';
import type { TriggerConfig } from '../config/schema.js';
import { uuidv7 } from '../ids.js';
import { summariseRun } from '../launch/run-status.js';
import { loadSecretKey, SecretKeyError } from '../secrets/secret-key.js';
import { isSealed, openSecrets } from '../triggers/sealed-secrets.js';
import { plainSecretPaths } from '../triggers/plain-secrets.js';
import { startService } from '../service.js';
import { openStore } from '../store/open-store.js';
import { displayStoreUrl } from '../store/display-store-url.js';
import { isFinished, LOG_OUTCOMES, type BatchRecord, type BatchState, type LogEntry, type LogOutcome, type RunRecord, type Store } from '../store/store.js';
import { createOutputRenderer, renderExecutionOutput, type OutputRenderer } from '../trigger-log/execution-output.js';
import { formatTriggerLogLine, readTriggerLog, type TriggerLogLine } from '../trigger-log/read-trigger-log.js';
import { senderProblem, type SenderProblem } from '../trigger-log/sender-problem.js';
import { signTriggerRequest } from '../triggers/sign-request.js';
import { describeActions, describeBatchSetting, describeConditions } from '../trigger-log/describe.js';

const DEFAULT_CONFIG = process.env.HOOKLAUNCH_CONFIG ?? 'hooklaunch.yaml';
const TEMPLATES = ['slack-predict', 'github-autofetch', 'v7-train'];
const OUTCOMES: readonly string[] = LOG_OUTCOMES;

/** templates/ beside core/ (sources) or two levels above dist/core/ (built). */
function templatesRoot(): string {
  const candidates = ['../../templates', '../../../templates'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((candidate) => existsSync(join(candidate, TEMPLATES[0]!)));
  if (!found) throw new Error(`templates not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** package.json's version: beside core/ (sources) or two levels above dist/core/ (built, installed). */
function packageVersion(): string {
  const candidates = ['../../package.json', '../../../package.json'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  for (const candidate of candidates) {
    try {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'hooklaunch' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // Not this one.
    }
  }
  return 'unknown';
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError('must be a port number, 0 to 65535 (0: any free port)');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

async function load(file: string): Promise<LoadedConfig> {
  const loaded = loadConfig(file, process.env, connectors);
  await preflight(loaded);
  return loaded;
}

/**
 * Triggers whose sender is set up so that nothing it sends launches, from the trigger log. `check`
 * runs before the first `serve` too: no store yet means nothing logged, and it is not created here.
 */
async function senderProblems(loaded: LoadedConfig): Promise<Map<string, SenderProblem>> {
  const problems = new Map<string, SenderProblem>();
  if (loaded.storeUrl.startsWith('sqlite:') && !existsSync(loaded.storeUrl.slice('sqlite:'.length))) return problems;
  let store: Store;
  try {
    store = await openStore(loaded.storeUrl);
  } catch (error) {
    process.stderr.write(`note: the trigger log (${displayStoreUrl(loaded.storeUrl)}) could not be read, so deliveries were not checked: ${error instanceof Error ? error.message : String(error)}\n`);
    return problems;
  }
  try {
    for (const trigger of loaded.config.triggers) {
      const problem = await senderProblem(store, trigger.id);
      if (problem) problems.set(trigger.id, problem);
    }
  } finally {
    await store.close();
  }
  return problems;
}

export function describeTrigger(trigger: TriggerConfig, baseUrl: string, binding?: ConnectorBinding): string {
  // The page's own words, so a connector trigger is never shown as unauthenticated.
  const conditions = describeConditions(trigger, binding).join('; ');
  const actions = describeActions(trigger).join(', then ');
  const lines = [`${baseUrl}/api/v0/launch/${trigger.id}/`, `  title:      ${trigger.title || '(untitled)'}`, `  conditions: ${conditions}`, `  actions:    ${actions}`];
  if (trigger.batch) lines.push(`  batch:      ${describeBatchSetting(trigger.batch)}`);
  return lines.join('\n');
}

// Commander prints its own usage errors; exitOverride lets them exit 2 like every other usage error (it exits 1).
const program = new Command('hooklaunch').description('Self-hosted webhook triggers that launch Valohai-style work.').showHelpAfterError().exitOverride();
program.version(packageVersion(), '-V, --version');
// Each command's options are its own: without this the program hands `runs cancel ID -c F`'s -c to `runs`.
program.enablePositionalOptions();
program.addHelpText('after', '\nAny command takes --debug: a failure then shows its stack trace.');

program
  .command('serve')
  .description('start the HTTP service, the launch worker and the local runner')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('--host <address>', 'override server.host (0.0.0.0 or ::: every interface)')
  .option('-p, --port <port>', 'override server.port (0: any free port)', portNumber)
  .option('--instance <name>', 'this instance\'s name when several share a PostgreSQL store (default: host:port)')
  .option('--log-level <level>', `the service log's level: ${LOG_LEVELS.join(', ')}`, process.env.HOOKLAUNCH_LOG_LEVEL || 'info')
  .option('--log-format <format>', `${LOG_FORMATS.join(', ')} (auto: readable on a terminal, JSON lines otherwise)`, 'auto')
  .option('--generated-admin-token', 'with no admin token configured, use one generated once and kept in the store, and print it (what `npm start` does)')
  .action(async (options: { config: string; host?: string; port?: number; instance?: string; logLevel: string; logFormat: string; generatedAdminToken?: boolean }) => {
    const logger = await createServiceLogger(options.logLevel, options.logFormat, process.stdout.isTTY === true);
    const loaded = await load(options.config);
    const host = options.host ?? loaded.config.server.host;
    const port = options.port ?? loaded.config.server.port;
    const service = await startService(loaded, { logger, host, port, generateAdminToken: options.generatedAdminToken === true, ...(options.instance !== undefined && { instance: options.instance }) }).catch((error: unknown) => {
      throw startFailure(error, host, port) ?? error;
    });
    // What the socket really got (--port 0 included), for people and, through the run file, for the other commands.
    const address = service.server.address() as AddressInfo;
    const url = reachableUrl(address.address, address.port, loaded.tls ? 'https' : 'http');
    const location = locationOf(loaded);
    const base = triggerUrlBase(location, { url, source: 'serve' });
    for (const trigger of loaded.config.triggers) process.stderr.write(`${describeTrigger(trigger, base, loaded.connectors.get(trigger.id))}\n`);
    if (location.configuredPublicUrl !== undefined && base !== location.configuredPublicUrl.replace(/\/+$/, '')) {
      process.stderr.write(`note: server.public_url is ${location.configuredPublicUrl}, not where this instance listens\n`);
    }
    if (service.generatedAdminToken !== undefined) {
      process.stderr.write(
        `admin token (generated once, kept in ${displayStoreUrl(loaded.storeUrl)}): ${service.generatedAdminToken}\n` +
          `  log in at ${url}/ui/ with it; to set your own: HOOKLAUNCH_ADMIN_TOKEN=<16+ characters> npm start (or server.admin_token in ${loaded.file})\n`,
      );
    }
    const runFile = runFilePath(loaded.storeUrl, loaded.file);
    writeRunFile(runFile, { pid: process.pid, url, listen: service.url, config: loaded.file, startedAt: new Date().toISOString() });
    process.once('exit', () => removeRunFile(runFile));
    // Last, once the run file is there: the line scripts (and tests) wait for.
    process.stderr.write(`hooklaunch listening on ${service.url}${service.url === url ? '' : ` (this machine: ${url})`}, pid ${process.pid}\n`);
    let closing = false;
    const shutdown = (signal: string): void => {
      if (closing) {
        // A second signal: no more waiting. Running executions are killed and re-run on the next start.
        process.stderr.write(`${signal} again: stopping now\n`);
        service.abort();
        process.exit(1);
      }
      closing = true;
      const grace = loaded.config.launcher.kind === 'local' ? ` (running executions get ${loaded.config.launcher.grace} s, then run again on the next start)` : '';
      process.stderr.write(`${signal}: finishing requests in flight and stopping${grace}; queued work stays queued\n`);
      service.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    // SIGHUP re-reads hooklaunch.yaml's triggers and server.tls's certificate; an invalid file keeps
    // the running triggers, a bad certificate the one being served (each issue is logged with its line).
    process.on('SIGHUP', () => {
      if (closing) return;
      try {
        service.reloadTls();
        service.liveTriggers.reloadFile();
      } catch (error) {
        // A bug while reloading must not take the running service down with it.
        process.stderr.write(`reload failed, the running triggers stay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      }
    });
  });

program
  .command('reload')
  .description('make the running `serve` re-read hooklaunch.yaml (SIGHUP); an invalid file keeps the running triggers')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .action((options: { config: string }) => {
    const loaded = loadServiceLocation(options.config);
    if (!loaded.storeUrl.startsWith('sqlite:')) {
      throw new InvalidArgumentError('with a PostgreSQL store several instances may serve: send SIGHUP to each (kill -HUP <pid>)');
    }
    // `serve` holds this lock file for as long as it runs, with its pid in it.
    const lock = `${loaded.storeUrl.slice('sqlite:'.length)}.serve.lock`;
    let pid: number;
    try {
      pid = Number(readFileSync(lock, 'utf8'));
    } catch {
      throw new InvalidArgumentError(`no hooklaunch is serving ${displayStoreUrl(loaded.storeUrl)} (no ${lock})`);
    }
    if (!Number.isInteger(pid) || pid <= 0) throw new InvalidArgumentError(`${lock} holds no pid`);
    process.kill(pid, 'SIGHUP');
    process.stdout.write(`asked hooklaunch (pid ${pid}) to reload ${loaded.file}; its log says whether the file was taken\n`);
  });

program
  .command('check')
  .description('validate the config and valohai.yaml, and print each trigger with its URL')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('-u, --url <base>', 'where the service is (default: the running `serve`, else server.public_url)')
  .action(async (options: { config: string; url?: string }) => {
    const loaded = await load(options.config);
    const problems = await senderProblems(loaded);
    const location = locationOf(loaded);
    const service = serviceUrl(location, options.url);
    const base = triggerUrlBase(location, service);
    process.stdout.write(`${loaded.file}: ok, ${loaded.config.triggers.length} trigger(s)\n`);
    process.stdout.write(`service: ${service.url} (${service.source})\n`);
    if (base !== service.url) process.stdout.write(`public URL: ${base} (server.public_url, what senders are given)\n`);
    // Names and roles only: the tokens themselves are secrets.
    const tokens = adminTokensOf(loaded.config.server);
    process.stdout.write(tokens.length ? `admin tokens: ${tokens.map((t) => `${t.name} (${t.role})`).join(', ')}\n` : 'admin tokens: none (the admin API and the web page are disabled)\n');
    for (const trigger of loaded.config.triggers) {
      const problem = problems.get(trigger.id);
      const warning = problem ? `\n  warning:    ${problem.message} (last ${new Date(problem.lastAtMs).toISOString()})` : '';
      process.stdout.write(`\n${describeTrigger(trigger, base, loaded.connectors.get(trigger.id))}${warning}\n`);
    }
    // A warning, not a failure: the config is valid and the fix is on the sender's side.
    if (problems.size > 0) process.stderr.write(`${problems.size} trigger(s) receive deliveries that can never launch: see "warning:" above\n`);
    // Valid but risky or unusable as configured: said, not refused (each may be intended).
    for (const warning of checkWarnings(loaded.config, loaded.connectors)) process.stderr.write(`warning: ${warning}\n`);
  });

program
  .command('new-id')
  .description('mint an unguessable trigger id (a UUIDv7 with 74 random bits)')
  .action(() => {
    process.stdout.write(`${uuidv7()}\n`);
  });

program
  .command('logs')
  .description('show the trigger log, newest first: every request and why it was accepted or rejected')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('-t, --trigger <trigger>', 'only this trigger: its id, a unique prefix of it, or its title')
  .option('-o, --outcome <outcome>', `only ${LOG_OUTCOMES.join(', ')}`)
  .option('-n, --limit <n>', 'how many entries', positiveInt, 50)
  .option('-f, --follow', 'keep printing new entries as they arrive')
  .option('--json', 'one JSON object per line')
  .action(async (options: { config: string; trigger?: string; outcome?: string; limit: number; follow?: boolean; json?: boolean }) => {
    if (options.outcome !== undefined && !OUTCOMES.includes(options.outcome)) throw new InvalidArgumentError(`--outcome must be one of ${OUTCOMES.join(', ')}`);
    // The store is all it reads: no trigger secret has to be set.
    const location = loadServiceLocation(options.config);
    const store = await openExistingStore(location);
    if (!store) return;
    const print = (line: TriggerLogLine): void => void process.stdout.write(`${options.json ? JSON.stringify(line) : formatTriggerLogLine(line)}\n`);
    try {
      // A trigger no longer configured still has its log: an id that matches nothing is taken as given.
      const named = options.trigger === undefined ? undefined : resolveTriggerArg(options.trigger, await triggerNames(location, store));
      const query = { triggerId: named?.found ? named.id : options.trigger, outcome: options.outcome as LogOutcome | undefined };
      const lines = await readTriggerLog(store, undefined, { ...query, limit: options.limit });
      const shown = options.follow ? [...lines].reverse() : lines;
      shown.forEach(print);
      if (lines.length === 0 && !options.json && !options.follow) process.stderr.write('no requests logged yet\n');
      if (!options.follow) return;
      let after = lines[0]?.seq ?? 0;
      const running = findRunningInstance(runFilePath(location.storeUrl, location.file));
      const serving = running ? `served by pid ${running.pid} at ${running.url}` : 'no hooklaunch is serving it now: start `hooklaunch serve`';
      process.stderr.write(`following the trigger log of ${displayStoreUrl(location.storeUrl)} (${serving}; Ctrl-C to stop)\n`);
      let stop = false;
      process.once('SIGINT', () => {
        stop = true;
      });
      while (!stop) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        for (const line of await readTriggerLog(store, undefined, { ...query, limit: 1000, afterSeq: after })) {
          print(line);
          after = line.seq;
        }
      }
    } finally {
      await store.close();
    }
  });

/** How often `runs --follow` reads the store for new runs and status changes. */
const RUNS_POLL_MS = 1000;

const runs = program
  .command('runs')
  .alias('run')
  // `runs cancel <id> -c FILE`: the -c after `cancel` is cancel's, not the list's (the program's too, below).
  .enablePositionalOptions()
  .description("recent runs with their status (filtered by trigger, status and time), or one run: its actions' results and its executions' output")
  .argument('[run-id]', 'the run_id a launch answered with')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('-t, --trigger <trigger>', 'only runs of this trigger: its id, a unique prefix of it, or its title')
  .option('-s, --status <status>', `only runs in this status: ${RUN_STATUSES.join(', ')}`)
  .option('--since <when>', 'only runs accepted since then: an age (30s, 15m, 1h, 2d) or a time (2026-11-28T20:00:00Z)')
  .option('--until <when>', 'only runs accepted until then (same forms)')
  .option('-n, --limit <n>', 'how many runs at most', positiveInt, 50)
  .option('-f, --follow', `without a run id: keep printing new runs and status changes (the store is read every ${RUNS_POLL_MS} ms) until Ctrl-C; with one: its executions' output as it comes, until the run ends`)
  .action(async (runId: string | undefined, options: { config: string; trigger?: string; status?: string; since?: string; until?: string; limit: number; follow?: boolean }) => {
    const nowMs = Date.now();
    const filter: RunFilter = {
      status: parseRunStatus(options.status),
      sinceMs: options.since === undefined ? undefined : parseTimeArg(options.since, nowMs, '--since'),
      untilMs: options.until === undefined ? undefined : parseTimeArg(options.until, nowMs, '--until'),
    };
    if (options.follow && filter.untilMs !== undefined && runId === undefined) throw new InvalidArgumentError('--follow prints runs as they come: it takes --since, not --until');
    if (runId !== undefined && (options.trigger ?? options.status ?? options.since ?? options.until) !== undefined) throw new InvalidArgumentError('--trigger, --status, --since and --until filter the list of runs: give them without a run id');
    const loaded = loadServiceLocation(options.config);
    const store = await openExistingStore(loaded);
    if (!store) return;
    try {
      if (runId === undefined) return void (await listRuns(store, loaded, options.trigger, filter, options.limit, options.follow === true));
      const [run, batch] = await Promise.all([store.getRun(runId), store.batchOfRun(runId)]);
      if (!run && batch) {
        // A batched delivery was answered with its batch's run id before the batch launched.
        process.stdout.write(`run ${runId}: not launched yet, it is the run of a batch that launches when it closes\nbatch ${formatBatchLine(batch, Date.now())}\n`);
        return;
      }
      if (!run) {
        process.stderr.write(`no run ${runId} in ${displayStoreUrl(loaded.storeUrl)}\n`);
        process.exitCode = 1;
        return;
      }
      const summary = summariseRun(run);
      process.stdout.write(`run ${run.runId}  trigger ${run.triggerId}  accepted ${new Date(run.acceptedAtMs).toISOString()}  status ${summary.status}\n`);
      if (batch) process.stdout.write(`batch ${batch.batchId}  key ${JSON.stringify(batch.key)}  ${batch.items} ${batch.items === 1 ? 'delivery' : 'deliveries'}  opened ${new Date(batch.openedAtMs).toISOString()}  closed ${batch.closedAtMs === undefined ? '?' : new Date(batch.closedAtMs).toISOString()} (${batch.closeReason ?? '?'})\n`);
      if (options.follow) return void (await followRun(store, run));
      for (const item of summary.result) process.stdout.write(`  ${JSON.stringify(item)}\n`);
      for (const error of summary.errors) process.stdout.write(`  ! ${error}\n`);
      for (const execution of run.executions) {
        process.stdout.write(`\nexecution ${execution.id}  step ${execution.spec.step}  ${execution.status}${execution.error ? ` (${execution.error})` : ''}\n`);
        process.stdout.write(renderExecutionOutput(await store.executionLog(execution.id)));
      }
    } finally {
      await store.close();
    }
  });

runs
  .command('cancel')
  .description("stop a run's unfinished executions (locally: the running `serve` stops them; on Valohai: through its API) and its actions not launched yet")
  .argument('<run-id>', 'the run_id a launch answered with')
  .option('-c, --config <file>', 'config file (for the admin token)', DEFAULT_CONFIG)
  .option('-u, --url <base>', 'where the service is (default: the running `serve`, else server.public_url)')
  .action(async (runId: string, options: { config: string; url?: string }) => {
    // The local runner's processes are the serving process's children: only it can stop them.
    const loaded = loadServerSection(options.config);
    const client = createAdminClient(loaded.server, 'operator', 'runs cancel', serviceUrl(loaded, options.url));
    const answer = await client.call('POST', `/api/v0/runs/${encodeURIComponent(runId)}/cancel/`);
    if (answer.status < 200 || answer.status >= 300) throw new CliError(`run ${runId} not cancelled: ${refusalMessage(answer)}`, 1);
    const items = (answer.body as { items?: Array<{ id: string; what: string; outcome: string; message?: string }> }).items ?? [];
    for (const item of items) process.stdout.write(`${item.id}  ${item.what}  ${item.outcome.replace('_', ' ')}${item.message ? ` (${item.message})` : ''}\n`);
    if (items.length === 0 || items.every((item) => item.outcome === 'already_ended')) process.stdout.write(`run ${runId}: nothing left to cancel\n`);
    if (items.some((item) => item.outcome === 'failed' || item.outcome === 'launching')) process.exitCode = 1;
  });

const batchCommand = program
  .command('batch')
  .alias('batches')
  .enablePositionalOptions()
  .description('batches of deliveries that launch once each (a trigger\'s `batch:`): list them, or close one now');

batchCommand
  .command('list', { isDefault: true })
  .description('open and held batches (not launched yet), newest first: key, items, age, when each closes or why it waits')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('-t, --trigger <trigger>', 'only batches of this trigger: its id, a unique prefix of it, or its title')
  .option('-a, --all', 'launched batches too, with their runs')
  .option('-n, --limit <n>', 'how many batches at most', positiveInt, 50)
  .action(async (options: { config: string; trigger?: string; all?: boolean; limit: number }) => {
    const location = loadServiceLocation(options.config);
    const store = await openExistingStore(location);
    if (!store) return;
    try {
      const named = options.trigger === undefined ? undefined : resolveTriggerArg(options.trigger, await triggerNames(location, store));
      const states: BatchState[] | undefined = options.all ? undefined : ['open', 'held'];
      const batches = await store.listBatches({ triggerId: named?.found ? named.id : options.trigger, states, limit: options.limit });
      const nowMs = Date.now();
      for (const shown of batches) process.stdout.write(`${formatBatchLine(shown, nowMs)}\n`);
      if (batches.length === 0) process.stderr.write(options.all ? 'no batches yet\n' : 'no batch is waiting to launch (--all shows launched ones)\n');
    } finally {
      await store.close();
    }
  });

batchCommand
  .command('close')
  .description('close a batch now and launch it (through the running `serve`); rate limits still apply: a limited batch is held until they allow it')
  .argument('<batch-id>', 'from `hooklaunch runs`, `hooklaunch batch list`, or the X-Hooklaunch-Batch-Id header of an answer')
  .option('-c, --config <file>', 'config file (for the admin token)', DEFAULT_CONFIG)
  .option('-u, --url <base>', 'where the service is (default: the running `serve`, else server.public_url)')
  .action(async (batchId: string, options: { config: string; url?: string }) => {
    // Through the service: its closer launches the batch and wakes its launch worker at once.
    const loaded = loadServerSection(options.config);
    const client = createAdminClient(loaded.server, 'operator', 'batch close', serviceUrl(loaded, options.url));
    const answer = await client.call('POST', `/api/v0/batches/${encodeURIComponent(batchId)}/close/`);
    if (answer.status < 200 || answer.status >= 300) throw new CliError(`batch ${batchId} not closed: ${refusalMessage(answer)}`, 1);
    const closed = answer.body as { outcome: string; run_id: string; message: string };
    process.stdout.write(`batch ${batchId}: ${closed.outcome === 'held' ? `held: ${closed.message}` : closed.message}\n`);
  });

/** Accepted requests (and launched batches) `runs` reads at most to fill its list (newest first) before it stops looking. */
const RUNS_SCAN = 5000;

async function listRuns(store: Store, location: ServiceLocation, trigger: string | undefined, filter: RunFilter, limit: number, follow: boolean): Promise<void> {
  // A trigger no longer configured still has its runs: an id that matches nothing is taken as given.
  const named = trigger === undefined ? undefined : resolveTriggerArg(trigger, await triggerNames(location, store));
  const triggerId = named?.found ? named.id : trigger;
  if (!follow) await printWaitingBatches(store, triggerId, filter);
  const entries = await store.listLog({ triggerId, outcome: 'accepted', limit: RUNS_SCAN });
  const launched = await store.listBatches({ triggerId, states: ['launched'], limit: RUNS_SCAN });
  // A batch's run has no accepted line (its deliveries are logged `batched`): it is listed once, from its batch.
  const candidates = [...entries.flatMap(requestRunLine), ...launched.map(batchRunLine)].sort((a, b) => b.receivedAtMs - a.receivedAtMs);
  const shown: RunListLine[] = [];
  for (const candidate of candidates) {
    if (shown.length >= limit) break;
    if (!inWindow(candidate.receivedAtMs, filter)) continue;
    const line = await withLaunch(store, candidate);
    if (matchesRun(line, filter)) shown.push(line);
  }
  // Following: oldest first, like a log that grows at the bottom.
  for (const line of follow ? [...shown].reverse() : shown) process.stdout.write(`${formatRunLine(line)}\n`);
  if (!follow) {
    if (shown.length === 0) process.stderr.write(candidates.length === 0 ? 'no runs yet\n' : 'no run matches\n');
    return;
  }
  // Every run not yet ended that may still change, with the status last printed (or seen).
  const open = new Map<string, RunListLine>();
  for (const candidate of candidates) {
    if (!inWindow(candidate.receivedAtMs, filter)) continue;
    const line = shown.find((s) => s.runId === candidate.runId) ?? (await withLaunch(store, candidate));
    if (line.launch?.status === 'pending') open.set(candidate.runId!, line);
  }
  const batchRuns = new Set(launched.map((b) => b.runId));
  const arrived = (line: RunListLine): void => {
    if (matchesRun(line, filter)) process.stdout.write(`${formatRunLine(line)}\n`);
    if (line.launch?.status === 'pending') open.set(line.runId!, line);
  };
  let after = entries[0]?.seq ?? 0;
  const running = findRunningInstance(runFilePath(location.storeUrl, location.file));
  const serving = running ? `served by pid ${running.pid} at ${running.url}` : 'no hooklaunch is serving it now: start `hooklaunch serve`';
  process.stderr.write(`following the runs of ${displayStoreUrl(location.storeUrl)} (${serving}; read every ${RUNS_POLL_MS} ms; Ctrl-C to stop)\n`);
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  while (!stop) {
    await new Promise((resolve) => setTimeout(resolve, RUNS_POLL_MS));
    for (const [runId, before] of open) {
      const line = await withLaunch(store, before);
      if (line.launch?.status === before.launch?.status) continue;
      if (matchesRun(line, filter)) process.stdout.write(`${formatRunLine(line)}\n`);
      if (line.launch?.status === 'pending') open.set(runId, line);
      else open.delete(runId);
    }
    for (const entry of await store.listLog({ triggerId, outcome: 'accepted', limit: 1000, afterSeq: after })) {
      after = entry.seq;
      for (const candidate of requestRunLine(entry)) if (inWindow(candidate.receivedAtMs, filter)) arrived(await withLaunch(store, candidate));
    }
    // Batches launched since the last look (newest first from the store: printed oldest first).
    const fresh = (await store.listBatches({ triggerId, states: ['launched'], limit: 1000 })).filter((b) => !batchRuns.has(b.runId)).reverse();
    for (const batch of fresh) {
      batchRuns.add(batch.runId);
      const candidate = batchRunLine(batch);
      if (inWindow(candidate.receivedAtMs, filter)) arrived(await withLaunch(store, candidate));
    }
  }
}

/** The run an accepted request launched (none when the log line has no run id). */
function requestRunLine(entry: LogEntry): RunListLine[] {
  return entry.runId === undefined ? [] : [{ receivedAtMs: entry.receivedAtMs, runId: entry.runId, triggerId: entry.triggerId }];
}

/** The run a batch launched, at the time it launched. */
function batchRunLine(batch: BatchRecord): RunListLine {
  return { receivedAtMs: batch.closedAtMs ?? batch.openedAtMs, runId: batch.runId, triggerId: batch.triggerId, batchItems: batch.items };
}

/**
 * Above the list: batches not launched yet (open, or held by a rate limit or a paused trigger). A
 * sender already holds their run ids; they become runs when they close. Left out when the filters
 * ask for something a batch that has not launched cannot be (ended runs, runs until a time).
 */
async function printWaitingBatches(store: Store, triggerId: string | undefined, filter: RunFilter): Promise<void> {
  if (filter.untilMs !== undefined || (filter.status !== undefined && filter.status !== 'pending')) return;
  const waiting = (await store.listBatches({ triggerId, states: ['open', 'held'], limit: 100 })).filter((b) => filter.sinceMs === undefined || b.lastAtMs >= filter.sinceMs);
  if (waiting.length === 0) return;
  const nowMs = Date.now();
  process.stdout.write('batches not launched yet (each launches once when it closes; `hooklaunch batch close <id>` closes one now):\n');
  for (const batch of waiting) process.stdout.write(`  ${formatBatchLine(batch, nowMs)}\n`);
  process.stdout.write('\n');
}

/** A run with its status as the store has it now. */
async function withLaunch(store: Store, line: RunListLine): Promise<RunListLine> {
  const run = line.runId === undefined ? undefined : await store.getRun(line.runId);
  if (!run) return line;
  const { status, errors } = summariseRun(run);
  return { ...line, launch: { status, errors } };
}

const FOLLOW_POLL_MS = 250;

/** What stops `serve` on a busy machine, as what to do; undefined for anything else (a bug). */
function startFailure(error: unknown, host: string, port: number): CliError | undefined {
  // The SQLite store's serve lock (core/store/sqlite/serve-lock.ts) names the other pid and the lock file already.
  if (error instanceof Error && /^another hooklaunch \(pid \d+\) is serving this store/.test(error.message)) return new CliError(error.message, 1, { cause: error });
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new CliError(`cannot listen on ${where}: port ${port} is in use (another hooklaunch, or another program); pick another with \`hooklaunch serve --port N\` or server.port (0: any free port), or stop what holds it`, 1, { cause: error });
  }
  if (code === 'EACCES') return new CliError(`cannot listen on ${where}: not allowed (ports below 1024 need privileges); pick another with --port or server.port`, 1, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new CliError(`cannot listen on ${where}: ${host} is not an address of this machine; pick one with --host or server.host (0.0.0.0: every interface)`, 1, { cause: error });
  return undefined;
}

/**
 * The store, for commands that only read it; undefined (after saying so) when a SQLite store was
 * never created: reading must not create an empty database where `serve` has not run yet.
 */
async function openExistingStore(location: ServiceLocation): Promise<Store | undefined> {
  if (location.storeUrl.startsWith('sqlite:') && !existsSync(location.storeUrl.slice('sqlite:'.length))) {
    process.stderr.write(`nothing logged yet: no store at ${location.storeUrl.slice('sqlite:'.length)} (\`hooklaunch serve -c ${location.file}\` creates it)\n`);
    return undefined;
  }
  return openStore(location.storeUrl);
}

/** The triggers a name on the command line may mean: the file's and those managed through the admin API. */
async function triggerNames(location: ServiceLocation, store: Store | undefined): Promise<TriggerName[]> {
  const stored = store ? await store.listTriggerDefs() : [];
  const titleOf = (config: unknown): string | undefined => {
    const title = (config as { title?: unknown } | null)?.title;
    return typeof title === 'string' ? title : undefined;
  };
  return [...location.triggers, ...stored.map((def) => ({ id: def.id, title: titleOf(def.config) }))];
}

/**
 * Prints a run's executions' output as it is stored (read by sequence, so each chunk once) until
 * the run is no longer pending and every execution's output is out; then its outcome.
 */
async function followRun(store: Store, first: RunRecord): Promise<void> {
  const seen = new Map<string, { after: number; renderer: OutputRenderer; ended: boolean }>();
  let printing: string | undefined;
  let stop = false;
  const interrupt = (): void => {
    stop = true;
  };
  process.once('SIGINT', interrupt);
  try {
    for (let run = first; ; ) {
      for (const execution of run.executions) {
        let state = seen.get(execution.id);
        if (!state) {
          state = { after: 0, renderer: createOutputRenderer(), ended: false };
          seen.set(execution.id, state);
        }
        if (state.ended) continue;
        const chunks = await store.executionLog(execution.id, state.after);
        if (chunks.length > 0) {
          // Several executions print in turns: say whose output follows whenever it changes.
          if (printing !== execution.id) {
            if (printing !== undefined) process.stdout.write(seen.get(printing)!.renderer.end());
            process.stdout.write(`\nexecution ${execution.id}  step ${execution.spec.step}\n`);
            printing = execution.id;
          }
          process.stdout.write(state.renderer.render(chunks));
          state.after = chunks.at(-1)!.seq ?? state.after;
        }
        // Its status was read before its log, and the runner stores the output before the status: all of it is out.
        if (isFinished(execution.status)) {
          state.ended = true;
          process.stdout.write(`${state.renderer.end()}execution ${execution.id}: ${execution.status}${execution.error ? ` (${execution.error})` : ''}\n`);
          printing = undefined;
        }
      }
      const summary = summariseRun(run);
      if (summary.status !== 'pending' && run.executions.every((e) => seen.get(e.id)?.ended)) {
        for (const error of summary.errors) process.stdout.write(`  ! ${error}\n`);
        process.stdout.write(`run ${run.runId}: ${summary.status}\n`);
        return;
      }
      if (stop) return;
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      run = (await store.getRun(run.runId)) ?? run;
    }
  } finally {
    process.off('SIGINT', interrupt);
  }
}

/**
 * A trigger of the file, or one managed through the admin API (its `${env:…}` secrets resolved from
 * this environment, its sealed ones opened with this instance's key, which must be the service's).
 */
async function findTrigger(loaded: LoadedConfig, name: string): Promise<{ trigger: TriggerConfig; binding?: ConnectorBinding | undefined } | undefined> {
  const location = locationOf(loaded);
  const hasStore = !(loaded.storeUrl.startsWith('sqlite:') && !existsSync(loaded.storeUrl.slice('sqlite:'.length)));
  const store = hasStore ? await openStore(loaded.storeUrl) : undefined;
  try {
    const named = resolveTriggerArg(name, await triggerNames(location, store));
    if (!named.found) return undefined;
    const triggerId = named.id;
    const inFile = loaded.config.triggers.find((t) => t.id === triggerId);
    if (inFile) return { trigger: inFile, binding: loaded.connectors.get(triggerId) };
    const def = (await store!.listTriggerDefs()).find((d) => d.id === triggerId);
    if (!def) return undefined;
    let config = def.config;
    // Only a trigger with sealed secrets needs the key (with PostgreSQL, HOOKLAUNCH_SECRET_KEY set here too).
    if (plainSecretPaths(config).some((path) => isSealed(path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key as string], config)))) {
      const opened = openSecrets(config, loadSecretKey(loaded.storeUrl, process.env).key, triggerId, Date.now());
      if (!opened.ok) throw new InvalidArgumentError(`trigger ${triggerId}: the sealed secret at ${opened.path} does not open here: ${opened.message}`);
      config = opened.config;
    }
    const checked = checkTrigger(config, { registry: loaded.registry, maxInflightBytesPerTrigger: loaded.config.server.limits.max_inflight_bytes_per_trigger, project: loaded.project, env: loaded.env });
    if (!checked.ok) throw new InvalidArgumentError(`trigger ${triggerId} (revision ${def.revision}) does not compile here: ${checked.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`);
    return { trigger: checked.trigger, binding: checked.binding };
  } finally {
    await store?.close();
  }
}

program
  .command('send')
  .description("send a request signed the way a trigger expects it (its connector's or its conditions' scheme) and print the answer")
  .argument('<trigger>', 'its id, a unique prefix of the id, or its title')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('-d, --data <text>', "the body (default: the connector's sample, or a body built to pass the trigger's payload filters)")
  .option('-b, --body <file>', 'read the body from a file')
  .option('-t, --content-type <type>', 'content type of the body (default: the sample\'s, or application/json)')
  .option('-u, --url <base>', 'where the service is (default: the running `serve`, else server.public_url)')
  .option('-H, --header <name:value>', 'an extra header (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
  .option('--print-curl', 'print the equivalent curl command instead of sending')
  .action(async (name: string, options: { config: string; data?: string; body?: string; contentType?: string; url?: string; header: string[]; printCurl?: boolean }) => {
    const loaded = loadConfig(options.config, process.env, connectors);
    const found = await findTrigger(loaded, name);
    if (!found) throw new InvalidArgumentError(`no trigger "${name}" in ${loaded.file} or in the store (hooklaunch check lists them)`);
    const { trigger, binding } = found;
    const triggerId = trigger.id;
    const given = options.body !== undefined || options.data !== undefined;
    const sample = given ? undefined : sampleBody(trigger, binding, loaded.project);
    if (sample) process.stderr.write(`body: ${sample.describe}\n`);
    const body = options.body !== undefined ? await readFile(options.body) : Buffer.from(options.data ?? sample!.body);
    const contentType = options.contentType ?? sample?.contentType ?? 'application/json';
    const signed = await signTriggerRequest(trigger, binding, body, contentType, Date.now());
    if (!signed.ok) throw new InvalidArgumentError(signed.rejection.message);
    const headers: Record<string, string> = { ...signed.value.headers };
    for (const header of options.header) {
      const colon = header.indexOf(':');
      if (colon <= 0) throw new InvalidArgumentError(`--header ${header}: write it as Name: value`);
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    }
    const service = serviceUrl(locationOf(loaded), options.url);
    const url = new URL(`${service.url}/api/v0/launch/${triggerId}/`);
    for (const [key, value] of Object.entries(signed.value.query)) url.searchParams.set(key, value);
    if (options.printCurl) {
      const quote = (text: string): string => `'${text.replaceAll("'", `'"'"'`)}'`;
      const parts = ['curl', '-sS', '-X', 'POST', quote(url.toString()), ...Object.entries(headers).flatMap(([k, v]) => ['-H', quote(`${k}: ${v}`)]), '--data-binary', quote(body.toString('utf8'))];
      process.stdout.write(`${parts.join(' ')}\n`);
      return;
    }
    process.stderr.write(`to: ${service.url} (${service.source})\n`);
    const response = await fetchService(service, url, { method: 'POST', headers, body });
    // A batched delivery (issue #17): where it waits, also when the trigger answers with an empty body (V7).
    const batchId = response.headers.get('x-hooklaunch-batch-id');
    const batched = batchId === null ? '' : `  batch ${batchId} item ${response.headers.get('x-hooklaunch-batch-position') ?? '?'}`;
    process.stdout.write(`${response.status} ${response.statusText}  request ${response.headers.get('x-request-id') ?? '?'}${batched}\n${await response.text()}\n`);
    if (!response.ok) process.exitCode = 1;
  });

program
  .command('replay')
  .description('evaluate logged requests again against the running service\'s current config, launching those that pass')
  .argument('<request-id...>', 'ids from `hooklaunch logs --json` or the web page')
  .option('-c, --config <file>', 'config file', DEFAULT_CONFIG)
  .option('-u, --url <base>', 'where the service is (default: the running `serve`, else server.public_url)')
  .action(async (requestIds: string[], options: { config: string; url?: string }) => {
    // The admin token is all it needs of the file: the service evaluates the requests with its own secrets.
    const loaded = loadServerSection(options.config);
    const client = createAdminClient(loaded.server, 'operator', 'replay', serviceUrl(loaded, options.url));
    let failed = 0;
    for (const [index, requestId] of requestIds.entries()) {
      if (requestIds.length > 1) process.stderr.write(`[${index + 1}/${requestIds.length}] `);
      const replayed = await client.call('POST', `/api/v0/requests/${encodeURIComponent(requestId)}/replay/`);
      const answer = replayed.body as { outcome?: string; code?: string | null; run_id?: string | null; request_id?: string };
      if (replayed.status < 200 || replayed.status >= 300) {
        failed++;
        process.stdout.write(`${requestId}: not replayed: ${refusalMessage(replayed)}\n`);
      } else {
        process.stdout.write(`${requestId}: replayed as ${answer.request_id}: ${answer.outcome}${answer.code ? ` (${answer.code})` : ''}${answer.run_id ? `, run ${answer.run_id}` : ''}\n`);
      }
    }
    if (failed) process.exitCode = 1;
  });

program
  .command('apply')
  .description('make the running service\'s API-managed triggers what a file says: create or update each by id (GitOps)')
  .requiredOption('-f, --file <file>', 'a YAML file with a `triggers:` list (hooklaunch.yaml\'s shape) or a bare list')
  .option('-c, --config <file>', 'config file (for the admin token, valohai.yaml and the connectors)', DEFAULT_CONFIG)
  .option('-u, --url <base>', 'where the service is (default: the running `serve`, else server.public_url)')
  .option('--prune', 'also delete the API-managed triggers the file does not name')
  .option('--dry-run', 'print what would change (create, update with the changed paths, unchanged, delete) and change nothing')
  .action(async (options: { file: string; config: string; url?: string; prune?: boolean; dryRun?: boolean }) => {
    const loaded = loadConfig(options.config, process.env, connectors);
    // Checked against this environment only; sent as written, so `${env:…}` secrets never travel in clear.
    const file = readTriggersFile(options.file, { registry: loaded.registry, maxInflightBytesPerTrigger: loaded.config.server.limits.max_inflight_bytes_per_trigger, project: loaded.project, env: process.env });
    for (const { id, names } of file.unchecked) process.stderr.write(`note: ${id} is checked by the service only: ${names.join(', ')} not set here\n`);
    const client = createAdminClient(loaded.config.server, options.dryRun ? 'viewer' : 'admin', 'apply', serviceUrl(locationOf(loaded), options.url));
    const outcome = await applyTriggers(client, file.triggers, { prune: options.prune === true, dryRun: options.dryRun === true }, (line) => void process.stdout.write(`${line}\n`));
    if (outcome.skipped > 0) process.stderr.write(`${outcome.skipped} file-managed trigger(s) skipped: change them in their file and reload\n`);
    if (outcome.failed > 0 || outcome.skipped > 0) process.exitCode = 1;
  });

program
  .command('export')
  .description('print the running service\'s API-managed triggers as YAML that `apply -f` takes back (stored secrets show as [sealed])')
  .option('-c, --config <file>', 'config file (for the admin token)', DEFAULT_CONFIG)
  .option('-u, --url <base>', 'where the service is (default: the running `serve`, else server.public_url)')
  .option('--all', 'include the file-managed triggers too, marked as such')
  .action(async (options: { config: string; url?: string; all?: boolean }) => {
    const loaded = loadServerSection(options.config);
    process.stdout.write(await exportTriggers(createAdminClient(loaded.server, 'viewer', 'export', serviceUrl(loaded, options.url)), { all: options.all === true }));
  });

program.addCommand(codegenCommand(connectors, DEFAULT_CONFIG));

program
  .command('init')
  .description(`copy a ready-made setup into a folder: ${TEMPLATES.join(', ')}`)
  .argument('<template>', TEMPLATES.join(' | '))
  .argument('[dir]', 'where to put it (default: a new folder named after the template)')
  .action(async (template: string, dir: string | undefined) => {
    if (!TEMPLATES.includes(template)) throw new InvalidArgumentError(`unknown template "${template}"; known: ${TEMPLATES.join(', ')}`);
    const target = resolve(dir ?? template);
    if (existsSync(target) && readdirSync(target).length > 0) throw new InvalidArgumentError(`${target} exists and is not empty`);
    await cp(join(templatesRoot(), template), target, { recursive: true });
    // The template's first line points editors at this file (yaml-language-server resolves it beside the config).
    await writeFile(join(target, CONFIG_SCHEMA_FILE), configSchemaText());
    process.stdout.write(`${template} copied to ${target}\nnext: read ${join(target, 'README.md')}, then: cd ${target} && hooklaunch check\n`);
  });

function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(connectors), null, 2)}\n`;
}

program
  .command('schema')
  .description(`print the JSON Schema of hooklaunch.yaml for editors (save it as ${CONFIG_SCHEMA_FILE} beside the config)`)
  .action(() => {
    process.stdout.write(configSchemaText());
  });

// `hooklaunch runs | head`: a reader that went away is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// Taken out before commander parses, so it works before or after any command's own options.
const debug = process.argv.includes('--debug');
const argv = process.argv.filter((arg) => arg !== '--debug');

/**
 * Every failure ends as one line saying what to do, and exit 2 for a usage or configuration
 * mistake, 1 for the rest. A stack trace is for whoever debugs hooklaunch itself: `--debug`.
 */
function fail(error: unknown): never {
  const stack = (): string => {
    const cause = (error as { cause?: unknown }).cause;
    return `${error instanceof Error ? error.stack : String(error)}${cause instanceof Error ? `\ncaused by: ${cause.stack}` : ''}\n`;
  };
  if (error instanceof CommanderError && !(error instanceof InvalidArgumentError)) {
    // Commander has printed the message (and the help) already; help and --version end here too.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  let line: string;
  let code: number;
  if (error instanceof CliError) [line, code] = [`hooklaunch: ${error.message}`, error.exitCode];
  else if (error instanceof InvalidArgumentError) [line, code] = [`hooklaunch: ${error.message}`, 2];
  else if (error instanceof SecretKeyError) [line, code] = [`hooklaunch: cannot start: ${error.message}`, 2];
  // One issue per line, each with its file:line: the one case that takes several lines.
  else if (error instanceof ConfigError) [line, code] = [`invalid configuration:\n${error.message}`, 2];
  else [line, code] = [`hooklaunch: ${error instanceof Error ? error.message : String(error)}${debug ? '' : ' (--debug shows the stack trace)'}`, 1];
  process.stderr.write(`${line}\n${debug ? stack() : ''}`);
  process.exit(code);
}

program.parseAsync(argv).catch(fail);
