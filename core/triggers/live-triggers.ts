/**
 * Keeps a process's trigger set current: compiles hooklaunch.yaml's triggers (again on reload) and
 * the store's API-managed ones, and follows the store's revision so a change made on any instance
 * applies here within one poll (`pollMs`, 1 s) — at once when it was made here.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { checkTrigger, type TriggerCheckContext } from '../config/check-trigger.js';
import { ConfigError, formatIssue } from '../yaml/config-error.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import type { TriggerDef, TriggerDefs } from '../store/store.js';
import type { ValohaiProject } from '../valohai-yaml/load-valohai-yaml.js';
import { widenRedaction, type Redaction } from '../trigger-log/redaction.js';
import { compileTrigger } from './compile-trigger.js';
import { openSecrets } from './sealed-secrets.js';
import { createTriggerSet, type LiveTrigger, type TriggerSet } from './trigger-set.js';

export interface LiveTriggers {
  readonly set: TriggerSet;
  /** The key that seals and opens API-managed triggers' secrets (the admin API seals with it). */
  readonly secretKey: KeyObject;
  /** valohai.yaml as last (re)loaded: what launches run when an action names no commit. */
  project(): ValohaiProject;
  /** How a trigger body sent to the admin API is checked (the loader's own checks). */
  checkContext(): TriggerCheckContext;
  /** Applies the store's triggers if its revision moved, or a previous secret's overlap ended. */
  refresh(): Promise<void>;
  /** Why a stored trigger is not served on this instance (it does not compile, or a sealed secret does not open). */
  problemOf(id: string): string | undefined;
  /** Every stored trigger not served on this instance, with why (for the trigger list). */
  notServed(): Array<{ id: string; problem: string }>;
  /** Re-reads hooklaunch.yaml; an invalid file changes nothing and its error lists every issue with its line. */
  reloadFile(): { ok: true; count: number } | { ok: false; error: ConfigError };
  /** How the last reload of hooklaunch.yaml went (for the page and the API); none before the first. */
  lastReload(): ReloadStatus | undefined;
  /** Polls the store for changes made by other instances. */
  start(): void;
  stop(): void;
}

export interface ReloadStatus {
  readonly atMs: number;
  readonly ok: boolean;
  /** `file:line: path: message`, one per issue of a refused file. */
  readonly issues: readonly string[];
}

export interface LiveTriggersOptions {
  readonly loaded: LoadedConfig;
  readonly store: TriggerDefs;
  readonly logger: Logger;
  readonly redaction: Redaction;
  readonly pollMs?: number;
  /** Opens the sealed secrets of API-managed triggers (sealed-secrets.ts). */
  readonly secretKey: KeyObject;
  readonly clock?: Clock;
}

// setTimeout takes at most 2^31-1 ms (~24.8 days); an overlap may be 30 days, so a far expiry is re-checked hourly.
const MAX_TIMER_MS = 3_600_000;

export async function createLiveTriggers({ loaded: initial, store, logger, redaction, pollMs = 1000, secretKey, clock = systemClock }: LiveTriggersOptions): Promise<LiveTriggers> {
  let loaded = initial;
  const set = createTriggerSet();
  const compiledStored = new Map<string, LiveTrigger>();
  const problems = new Map<string, string>();
  let reloaded: ReloadStatus | undefined;
  /** When each compiled trigger's secret list next loses a previous secret (rotation overlap ended). */
  const expiries = new Map<string, number>();

  const checkContext = (): TriggerCheckContext => ({
    registry: loaded.registry,
    maxInflightBytesPerTrigger: loaded.config.server.limits.max_inflight_bytes_per_trigger,
    project: loaded.project,
    env: loaded.env,
    // The set the local runner was given at start: a stored trigger's variables are kept from executions too.
    envNames: loaded.envNames as Set<string>,
  });
  const admit = (trigger: LiveTrigger): LiveTrigger => {
    // Redaction only grows: a credential location of a changed or deleted trigger stays redacted.
    widenRedaction(redaction, trigger.credentials);
    return trigger;
  };
  const compileFile = (from: LoadedConfig): LiveTrigger[] =>
    from.config.triggers.map((trigger, index) => {
      const written = from.fileTriggers[index];
      return admit({ ...compileTrigger(trigger, from.project, from.connectors.get(trigger.id)), source: { kind: 'file', file: from.file, line: written?.line, written: written?.written } });
    });
  const compileStored = (def: TriggerDef): LiveTrigger | undefined => {
    problems.delete(def.id);
    expiries.delete(def.id);
    const opened = openSecrets(def.config, secretKey, def.id, clock.now());
    if (!opened.ok) {
      problems.set(def.id, `${opened.path}: ${opened.message}`);
      logger.error({ triggerId: def.id, revision: def.revision, path: opened.path, problem: opened.message }, 'a sealed secret of a stored trigger does not open; the trigger is not served');
      return undefined;
    }
    const checked = checkTrigger(opened.config, checkContext());
    if (!checked.ok) {
      // Valid when written; here an environment variable or a valohai.yaml step may be missing.
      const issues = checked.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      problems.set(def.id, issues.join('; '));
      logger.error({ triggerId: def.id, revision: def.revision, issues }, 'stored trigger does not compile on this instance; it is not served here');
      return undefined;
    }
    if (opened.nextExpiryMs !== undefined) expiries.set(def.id, opened.nextExpiryMs);
    return admit({ ...compileTrigger(checked.trigger, loaded.project, checked.binding, { revision: def.revision, paused: def.paused }), source: { kind: 'api', def } });
  };

  let expiryTimer: NodeJS.Timeout | undefined;
  // An expiry is not a revision: no instance's poll would see it, so each keeps its own timer.
  const scheduleExpiry = (): void => {
    if (expiryTimer) clearTimeout(expiryTimer);
    expiryTimer = undefined;
    if (expiries.size === 0) return;
    const delayMs = Math.min(MAX_TIMER_MS, Math.max(0, Math.min(...expiries.values()) - clock.now()));
    expiryTimer = setTimeout(() => {
      refresh().catch((error: unknown) => logger.warn({ err: error }, 'could not re-apply the triggers at a secret expiry; retrying on the next poll'));
    }, delayMs);
    expiryTimer.unref();
  };
  const expiryDue = (id: string, atMs: number): boolean => (expiries.get(id) ?? Infinity) <= atMs;

  let refreshing: Promise<void> | undefined;
  const refreshOnce = async (): Promise<void> => {
    const revision = await store.triggerRevision();
    const atMs = clock.now();
    const due = [...expiries.keys()].some((id) => expiryDue(id, atMs));
    if (revision === set.revision && !due) return;
    const defs = await store.listTriggerDefs();
    const seen = new Set<string>();
    for (const def of defs) {
      seen.add(def.id);
      if (compiledStored.get(def.id)?.revision === def.revision && !expiryDue(def.id, atMs)) continue;
      const compiled = compileStored(def);
      if (compiled) compiledStored.set(def.id, compiled);
      else compiledStored.delete(def.id);
    }
    for (const id of compiledStored.keys()) if (!seen.has(id)) compiledStored.delete(id);
    for (const id of [...problems.keys(), ...expiries.keys()]) if (!seen.has(id)) (problems.delete(id), expiries.delete(id));
    scheduleExpiry();
    set.setStored([...compiledStored.values()], revision);
    logger.info({ revision, triggers: set.size }, 'triggers updated from the store');
  };
  // One refresh at a time; a caller arriving during one waits for it and runs another, so it sees its own write.
  const refresh = async (): Promise<void> => {
    while (refreshing) await refreshing.catch(() => undefined);
    refreshing = refreshOnce().finally(() => (refreshing = undefined));
    return refreshing;
  };

  set.setFile(compileFile(loaded));
  await refresh();

  let timer: NodeJS.Timeout | undefined;
  return {
    set,
    secretKey,
    project: () => loaded.project,
    checkContext,
    refresh,
    problemOf: (id) => problems.get(id),
    notServed: () => [...problems].map(([id, problem]) => ({ id, problem })),
    lastReload: () => reloaded,
    reloadFile() {
      let next: LoadedConfig;
      try {
        next = loadConfig(loaded.file, loaded.env, loaded.registry);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const issue of error.issues) logger.error({ file: error.file, line: issue.line, path: issue.path }, `reload refused, the running triggers stay: ${formatIssue(error.file, issue)}`);
        reloaded = { atMs: Date.now(), ok: false, issues: error.issues.map((issue) => formatIssue(error.file, issue)) };
        return { ok: false, error };
      }
      // Only triggers (and valohai.yaml) change live; server, store and launcher settings need a restart.
      loaded = { ...loaded, project: next.project, fileTriggers: next.fileTriggers, connectors: next.connectors, config: { ...loaded.config, triggers: next.config.triggers } };
      set.setFile(compileFile(loaded));
      logger.info({ file: loaded.file, triggers: next.config.triggers.length }, 'hooklaunch.yaml reloaded');
      reloaded = { atMs: Date.now(), ok: true, issues: [] };
      return { ok: true, count: next.config.triggers.length };
    },
    start() {
      timer = setInterval(() => {
        refresh().catch((error: unknown) => logger.warn({ err: error }, 'could not read the triggers from the store; serving the ones last read'));
      }, pollMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      if (expiryTimer) clearTimeout(expiryTimer);
      timer = undefined;
      expiryTimer = undefined;
    },
  };
}
