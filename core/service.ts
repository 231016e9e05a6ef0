/**
 * The composition root of one hooklaunch process: store, compiled triggers, launch worker, local
 * runner and HTTP server, started and stopped in the right order.
 */
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { adminTokensOf } from './config/admin-tokens.js';
import { SINGLE_ADMIN_TOKEN_NAME } from './config/schema.js';
import type { LoadedConfig } from './config/load-config.js';
import { createInflightBudget, type InflightBudget } from './http/inflight-budget.js';
import { createHttpServer } from './http/server.js';
import { createUiRouter } from './ui/ui-router.js';
import { createProxyTrust } from './http/proxy-trust.js';
import { readTlsFiles } from './http/tls-files.js';
import { ConfigError } from './yaml/config-error.js';
import type { OnExecutionEnded } from './launch/execution-ended.js';
import type { LaunchBackend } from './launch/launch-backend.js';
import { cancelRun } from './launch/cancel-run.js';
import { createQueueDepths } from './launch/queue-depths.js';
import { createLocalBackend, type LocalBackend } from './launchers/local/local-backend.js';
import type { LocalRunner } from './launchers/local/local-runner.js';
import { createValohaiBackend, type ValohaiBackend } from './launchers/valohai/valohai-backend.js';
import type { StatusFollower } from './launchers/valohai/status-follower.js';
import { createPayloadUrlSigner, type PayloadUrlSigner } from './payloads/payload-url-signer.js';
import { createLaunchWorker, type LaunchWorker } from './launch/launch-worker.js';
import { createBatchCloser, type BatchCloser } from './triggers/batch-closer.js';
import { createMetrics } from './metrics/metrics.js';
import { createFailureNotifier } from './notify/failure-notifier.js';
import { createRunNotifier } from './notify/run-notifier.js';
import { startRetention } from './store/retention.js';
import { openStore } from './store/open-store.js';
import { displayStoreUrl } from './store/display-store-url.js';
import type { Store } from './store/store.js';
import { createLiveTriggers, type LiveTriggers } from './triggers/live-triggers.js';
import type { TriggerSet } from './triggers/trigger-set.js';
import { createRedaction } from './trigger-log/redaction.js';
import { createRejectionLog, type RejectionLog } from './trigger-log/rejection-log.js';
import { describeSecretKey, loadSecretKey, type SecretKey } from './secrets/secret-key.js';

export interface ServiceOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Override the configured port (0 = any free port; tests). */
  readonly port?: number;
  /** Override the configured listening address (`serve --host`). */
  readonly host?: string;
  /** Folder for execution work directories; default `.hooklaunch/executions` beside the store. */
  readonly workRoot?: string;
  readonly killGraceMs?: number;
  /** Override `launcher.grace` (tests). */
  readonly shutdownGraceMs?: number;
  /** How long a claimed launch job is reserved before another claimer may take it over. */
  readonly leaseMs?: number;
  readonly backoff?: (attempt: number) => number;
  /** This instance's name in a shared store (default: host:port). */
  readonly instance?: string;
  /** Where HOOKLAUNCH_SECRET_KEY is read from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How often the store is asked for trigger changes made by other instances (default 1000 ms). */
  readonly triggerPollMs?: number;
  /** Longest wait between looks for due batches (default 1000 ms); tests with an injected clock call `batches.closeDue()`. */
  readonly batchPollMs?: number;
  /**
   * With no admin token configured, use one generated once and kept in the store (`serve
   * --generated-admin-token`, what `npm start` runs): the page is reachable on a fresh machine
   * without ever being open to anyone who finds the port.
   */
  readonly generateAdminToken?: boolean;
}

export interface Service {
  readonly url: string;
  readonly server: Server;
  readonly store: Store;
  /** Where requests that launched nothing are logged; `flush()` writes the repeat counts gathered so far. */
  readonly rejections: RejectionLog;
  readonly worker: LaunchWorker;
  /** Launches batches when they close (issue #17); `closeDue()` closes the due ones now (tests with an injected clock). */
  readonly batches: BatchCloser;
  /** The local runner, when the launcher is local. */
  readonly runner?: LocalRunner | undefined;
  /** Follows what the Valohai launcher created, when the launcher is Valohai. */
  readonly follower?: StatusFollower | undefined;
  readonly payloadUrls: PayloadUrlSigner;
  readonly triggers: TriggerSet;
  /** Reloads hooklaunch.yaml (SIGHUP), follows the store's trigger revisions. */
  readonly liveTriggers: LiveTriggers;
  /** Seals and opens secrets set through the admin API or page (core/secrets/secret-box.ts). */
  readonly secretKey: SecretKey;
  /** Request-body bytes held in memory (`server.limits`); tests read it to see it return to zero. */
  readonly inflight: InflightBudget;
  /** Resolves when queued launches and executions have all finished (tests). */
  settled(): Promise<void>;
  /**
   * Shuts down in bounded time: stops accepting and lets requests in flight finish (their commits
   * included), stops claiming launches, gives running executions the launcher's grace, then closes
   * the store. Queued work stays queued for the next start.
   */
  close(): Promise<void>;
  /** Kills running executions at once (a second signal while closing; the process exits next). */
  abort(): void;
  /**
   * Re-reads `server.tls`'s files (SIGHUP) and serves them to new connections; a pair that does
   * not make a TLS context is refused, logged, and the one being served stays. Without TLS: nothing.
   */
  reloadTls(): { ok: true } | { ok: false; error: string } | undefined;
  /** The store's generated admin token, when `generateAdminToken` found none configured. */
  readonly generatedAdminToken?: string | undefined;
}

export async function startService(loaded: LoadedConfig, options: ServiceOptions = {}): Promise<Service> {
  const { config } = loaded;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ name: 'hooklaunch' });
  // Before the store is opened: a missing or unusable key fails start-up with nothing touched.
  const secretKey = loadSecretKey(loaded.storeUrl, options.env ?? process.env);
  logger.info({ secretKey: describeSecretKey(secretKey) }, 'secret key loaded');
  // Likewise: a certificate that cannot be served is a config error naming its line (preflight
  // says so first from the CLI; this keeps startService safe for any caller).
  const tlsRead = loaded.tls && readTlsFiles(loaded.tls);
  if (tlsRead && !tlsRead.ok) throw new ConfigError(loaded.file, tlsRead.issues);
  // Instances sharing a PostgreSQL store need distinct names: they own the executions they run.
  const store = await openStore(loaded.storeUrl, options.instance ?? process.env.HOOKLAUNCH_INSTANCE ?? `${hostname()}:${options.port ?? config.server.port}`);
  // Every trigger's credential locations are added as it is compiled (live-triggers widens it).
  const redaction = createRedaction([], loaded.sensitiveHeaders);
  const live = await createLiveTriggers({ loaded, store, logger, redaction, secretKey: secretKey.key, clock, ...(options.triggerPollMs !== undefined && { pollMs: options.triggerPollMs }) });
  const triggers = live.set;
  const { limits } = config.server;
  const inflight = createInflightBudget({ maxBytes: limits.max_inflight_bytes, maxBytesPerTrigger: limits.max_inflight_bytes_per_trigger });
  const queueDepths = createQueueDepths(store, config.launcher.kind);
  const metrics = createMetrics(store, clock, () => inflight.bytes, queueDepths);
  const rejections = await createRejectionLog({
    store,
    clock,
    logger,
    capture: { bodySampleBytes: config.trigger_log.body_sample_bytes, headerBytes: config.trigger_log.header_bytes },
    aggregateMs: config.trigger_log.aggregate_seconds * 1000,
    budgetBytes: config.trigger_log.unauthenticated_max_bytes,
    onDropped: (triggerId) => metrics.triggerLogDropped.inc({ trigger: triggers.has(triggerId) ? triggerId : 'unknown' }),
  });
  const workRoot = options.workRoot ?? defaultWorkRoot(loaded);
  const configuredTokens = adminTokensOf(config.server);
  const generatedAdminToken = options.generateAdminToken && configuredTokens.length === 0 ? await store.secret(GENERATED_ADMIN_TOKEN) : undefined;
  const adminTokens = generatedAdminToken === undefined ? configuredTokens : [{ name: SINGLE_ADMIN_TOKEN_NAME, token: generatedAdminToken, role: 'admin' as const }];

  const payloadUrls = createPayloadUrlSigner(
    config.server.url_signing_key ?? (await store.secret('payload-url-signing')),
    loaded.publicUrl,
    config.launcher.kind === 'valohai' ? config.launcher.payload_url_ttl : 7 * 86_400,
  );
  const notifier = createRunNotifier(store, triggers, logger, clock);
  const alerts = createFailureNotifier({ config, clock, logger, metrics, triggerTargets: (id) => triggers.get(id)?.config.notify });
  const titleOf = (triggerId: string): string => triggers.get(triggerId)?.title ?? '';
  // The one place launched work's end is counted and alerted on, local or remote. A failed pipeline
  // node is counted, but its pipeline's end is what is notified (once, with the node's output).
  const onExecutionEnded: OnExecutionEnded = (ended) => {
    (ended.kind === 'pipeline' ? metrics.pipelines : metrics.executions).inc({ status: ended.status, launcher: ended.launcher });
    if (ended.status === 'error' && ended.pipelineId === undefined) alerts.executionFailed(ended, titleOf(ended.triggerId));
  };
  let local: LocalBackend | undefined;
  let remote: ValohaiBackend | undefined;
  let backend: LaunchBackend;
  if (config.launcher.kind === 'local') {
    local = createLocalBackend({ loaded, currentProject: () => live.project(), launcher: config.launcher, store, clock, logger, workRoot, killGraceMs: options.killGraceMs, shutdownGraceMs: options.shutdownGraceMs, onRunChanged: (id) => notifier.runChanged(id), onExecutionEnded });
    backend = local;
  } else {
    remote = createValohaiBackend({ config: config.launcher, loaded, currentProject: () => live.project(), store, payloadUrls, clock, logger, onExecutionEnded, onRunChanged: (id) => notifier.runChanged(id) });
    backend = remote;
  }
  const worker = createLaunchWorker({
    store,
    launcher: backend.launcher,
    clock,
    logger,
    maxAttempts: config.launcher.max_attempts,
    onRunChanged: (id) => notifier.runChanged(id),
    onAttempt: (job, result, failure) => {
      metrics.launches.inc({ action: job.spec.type, result });
      if (result === 'launched') metrics.launchLatencySeconds.observe({ action: job.spec.type }, Math.max(0, clock.now() - job.acceptedAtMs) / 1000);
      if (result === 'failed' && failure) alerts.launchFailed(job, titleOf(job.triggerId), failure);
    },
    leaseMs: options.leaseMs ?? config.launcher.lease * 1000,
    ...(options.backoff !== undefined && { backoff: options.backoff }),
  });
  const batches = createBatchCloser({ store, triggers, clock, logger, onLaunched: () => worker.notify(), ...(options.batchPollMs !== undefined && { pollMs: options.batchPollMs }) });
  const server = createHttpServer({
    triggers,
    liveTriggers: live,
    redaction,
    store,
    rejections,
    clock,
    logger,
    onAccepted: () => worker.notify(),
    onBatched: (closesAtMs, full) => batches.scheduled(closesAtMs, full),
    closeBatch: (batchId) => batches.closeNow(batchId),
    adminTokens,
    payloadUrls,
    metrics,
    inflight,
    maxConnections: limits.max_connections,
    onOverloaded: (_triggerId, limit) => metrics.overloaded.inc({ limit }),
    publicUrl: loaded.publicUrl,
    trustProxy: createProxyTrust(config.server.trust_proxy),
    selfUrl: () => self.url,
    queueDepths,
    cancelRun: async (runId, by) => {
      const outcome = await cancelRun(store, runId, backend.stopExecution, by);
      if (outcome) {
        logger.info({ runId, by, items: outcome.items }, 'run cancelled');
        notifier.runChanged(runId);
        worker.notify();
      }
      return outcome;
    },
    onOutcome: (trigger, handled) => {
      metrics.requests.inc({ trigger: trigger.id, outcome: handled.outcome, code: handled.code ?? '' });
      alerts.observe(trigger.id, trigger.title, handled.outcome, handled.code);
    },
    onVerified: (trigger, seconds) => metrics.verificationSeconds.observe({ trigger: trigger.id }, seconds),
    onAnswered: (trigger, outcome, seconds) => metrics.answerSeconds.observe({ trigger: trigger.id, outcome }, seconds),
    onRefusedEarly: (triggerId, code) => {
      metrics.requests.inc({ trigger: triggers.has(triggerId) ? triggerId : 'unknown', outcome: 'rejected', code });
      if (triggers.has(triggerId)) alerts.observe(triggerId, titleOf(triggerId), 'rejected', code);
    },
    ready: async () => {
      try {
        await store.queueStats();
      } catch (error) {
        return { ok: false, detail: `store unreachable: ${(error as Error).message}` };
      }
      return worker.isRunning() ? { ok: true, detail: 'store reachable, launch worker running' } : { ok: false, detail: 'launch worker stopped' };
    },
  }, tlsRead?.credentials, createUiRouter);
  const self = { url: '' };
  const retention = config.retention === false ? undefined : startRetention(store, config.retention.days, clock, logger, workRoot, () => rejections.resync());

  await store.takeOver();
  await backend.start();
  live.start();
  // HOOKLAUNCH_PAUSE_LAUNCHES=1 accepts and queues durably without launching (maintenance, benchmarks).
  if (process.env.HOOKLAUNCH_PAUSE_LAUNCHES !== '1') worker.start();
  batches.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.server.port, options.host ?? config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${loaded.tls ? 'https' : 'http'}://${host}:${address.port}`;
  self.url = url;
  logger.info({ url, triggers: triggers.size, store: displayStoreUrl(loaded.storeUrl) }, 'hooklaunch listening');

  let closed = false;
  return {
    url,
    server,
    store,
    rejections,
    worker,
    batches,
    runner: local?.runner,
    generatedAdminToken,
    follower: remote?.follower,
    payloadUrls,
    triggers,
    secretKey,
    liveTriggers: live,
    inflight,
    async settled() {
      for (;;) {
        await worker.idle();
        await backend.idle();
        await notifier.idle();
        const due = await store.nextJobDueMs();
        if (due === undefined && backend.isIdle() && notifier.isIdle()) return;
        await new Promise((resolve) => setTimeout(resolve, Math.max(10, Math.min(200, (due ?? clock.now()) - clock.now()))));
      }
    },
    abort() {
      backend.abort?.();
    },
    reloadTls() {
      if (!loaded.tls) return undefined;
      const read = readTlsFiles(loaded.tls);
      if (!read.ok) {
        const error = new ConfigError(loaded.tls.file, read.issues).message;
        logger.error({ issues: read.issues }, `TLS certificate not reloaded, the one being served stays: ${error}`);
        return { ok: false, error };
      }
      // Connections already open keep their session; new handshakes get the new pair.
      (server as HttpsServer).setSecureContext(read.credentials);
      logger.info({ cert: loaded.tls.cert.path }, 'TLS certificate reloaded');
      return { ok: true };
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        // A keep-alive connection goes idle once its last response is sent: close it then, not after keepAliveTimeout.
        const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearInterval(idleSweep);
          resolve();
        });
        server.closeIdleConnections();
      });
      live.stop();
      await batches.stop();
      await worker.stop();
      await backend.stop();
      await notifier.idle();
      retention?.stop();
      await alerts.idle();
      await rejections.close();
      await store.close();
    },
  };
}

/** The store's name for the generated admin token (core/store/store.ts `secret`). */
const GENERATED_ADMIN_TOKEN = 'admin-token';

function defaultWorkRoot(loaded: LoadedConfig): string {
  if (loaded.storeUrl.startsWith('sqlite:') && !loaded.storeUrl.endsWith(':memory:')) {
    return join(dirname(loaded.storeUrl.slice('sqlite:'.length)), 'executions');
  }
  return join(loaded.projectPath, '.hooklaunch', 'executions');
}
