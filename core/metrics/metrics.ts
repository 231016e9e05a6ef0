/**
 * Prometheus metrics (prom-client), one registry per service. Triggers are labelled by id —
 * the secret part of their URL — so /metrics is behind the admin token like the rest of the
 * admin API.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration } from 'prom-client';
import type { Clock } from '../clock.js';
import type { QueueDepths } from '../launch/queue-depths.js';
import type { Store } from '../store/store.js';
import { SeriesHistogram } from './series-histogram.js';

export interface Metrics {
  readonly registry: Registry;
  /** Counted per request; written into the counter when it is read (a label key hashed per request was a visible cost). */
  readonly requests: { inc(labels: { trigger: string; outcome: string; code: string }): void };
  readonly verificationSeconds: SeriesHistogram<'trigger'>;
  readonly answerSeconds: SeriesHistogram<'trigger' | 'outcome'>;
  readonly launches: Counter<'action' | 'result'>;
  readonly launchLatencySeconds: Histogram<'action'>;
  readonly notifications: Counter<'target' | 'result'>;
  readonly triggerLogDropped: Counter<'trigger'>;
  /** Requests refused with 503 because a `server.limits` limit was reached. */
  readonly overloaded: Counter<'limit'>;
  /** Launched executions (pipeline nodes included) that reached an end, by status and engine. */
  readonly executions: Counter<'status' | 'launcher'>;
  readonly pipelines: Counter<'status' | 'launcher'>;
}

const FAST = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * `inflightBytes`: request-body bytes held in memory now (the HTTP server's in-flight budget).
 * `queueDepths`: launched work waiting and running (the same numbers as the web page shows).
 */
export function createMetrics(store: Store, clock: Clock, inflightBytes?: () => number, queueDepths?: () => Promise<QueueDepths>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hooklaunch_' });
  const metrics: Metrics = {
    registry,
    requests: countedOnRead({ name: 'hooklaunch_requests_total', help: 'Requests by trigger, outcome and reason code', labelNames: ['trigger', 'outcome', 'code'], registers: [registry] }),
    verificationSeconds: new SeriesHistogram('hooklaunch_verification_seconds', 'Time spent checking signatures, tokens and timestamps', ['trigger'], FAST, registry),
    answerSeconds: new SeriesHistogram('hooklaunch_answer_seconds', 'Time from a request arriving to its answer being sent', ['trigger', 'outcome'], FAST, registry),
    launches: new Counter({ name: 'hooklaunch_launches_total', help: 'Launch attempts by action and result (launched, retry, failed)', labelNames: ['action', 'result'], registers: [registry] }),
    launchLatencySeconds: new Histogram({ name: 'hooklaunch_launch_latency_seconds', help: 'Time from a run being accepted to its action being launched', labelNames: ['action'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800], registers: [registry] }),
    notifications: new Counter({ name: 'hooklaunch_notifications_total', help: 'Failure notifications by target kind and result', labelNames: ['target', 'result'], registers: [registry] }),
    triggerLogDropped: new Counter({
      name: 'hooklaunch_trigger_log_dropped_total',
      help: 'Unauthenticated rejections not written to the trigger log because its budget for them (trigger_log.unauthenticated_max_bytes) was spent',
      labelNames: ['trigger'],
      registers: [registry],
    }),
    overloaded: new Counter({ name: 'hooklaunch_overloaded_total', help: 'Requests refused with 503 by the limit reached (connections, inflight_bytes, inflight_bytes_per_trigger)', labelNames: ['limit'], registers: [registry] }),
    executions: new Counter({
      name: 'hooklaunch_executions_total',
      help: 'Launched executions that ended, by status (complete, error, cancelled, stopped) and launcher (local, valohai)',
      labelNames: ['status', 'launcher'],
      registers: [registry],
    }),
    pipelines: new Counter({ name: 'hooklaunch_pipelines_total', help: 'Launched pipelines that ended, by status and launcher', labelNames: ['status', 'launcher'], registers: [registry] }),
  };
  if (queueDepths) {
    new Gauge({
      name: 'hooklaunch_executions_queued',
      help: 'Launched executions waiting for the engine to start them (local runner queue, or Valohai executions in queued state)',
      labelNames: ['launcher'],
      registers: [registry],
      async collect() {
        const depths = await queueDepths();
        this.set({ launcher: depths.launcher }, depths.executionsQueued);
      },
    });
    new Gauge({
      name: 'hooklaunch_executions_running',
      help: 'Launched executions running now',
      labelNames: ['launcher'],
      registers: [registry],
      async collect() {
        const depths = await queueDepths();
        this.set({ launcher: depths.launcher }, depths.executionsRunning);
      },
    });
  }
  if (inflightBytes) {
    new Gauge({
      name: 'hooklaunch_inflight_body_bytes',
      help: 'Request-body bytes held in memory now (bounded by server.limits.max_inflight_bytes)',
      registers: [registry],
      collect() {
        this.set(inflightBytes());
      },
    });
  }
  new Gauge({
    name: 'hooklaunch_launch_queue_depth',
    help: 'Launch jobs waiting or being launched',
    registers: [registry],
    async collect() {
      this.set((await store.queueStats()).depth);
    },
  });
  new Gauge({
    name: 'hooklaunch_launch_queue_oldest_seconds',
    help: 'Age of the oldest launch job not yet launched (0 when the queue is empty)',
    registers: [registry],
    async collect() {
      const { oldestAcceptedAtMs } = await store.queueStats();
      this.set(oldestAcceptedAtMs === undefined ? 0 : Math.max(0, (clock.now() - oldestAcceptedAtMs) / 1000));
    },
  });
  return metrics;
}

/**
 * Increments kept in a map per label set and added to `counter` when the registry reads it
 * (its collect hook): per request a string key and a map lookup, not prom-client's label checks.
 */
function countedOnRead(config: CounterConfiguration<'trigger' | 'outcome' | 'code'>): Metrics['requests'] {
  type Entry = { labels: { trigger: string; outcome: string; code: string }; n: number };
  const pending = new Map<string, Entry>();
  // The entry last counted: a run of one trigger's one outcome (a flood) counts without a key.
  let last: Entry | undefined;
  new Counter({
    ...config,
    collect() {
      for (const { labels, n } of pending.values()) this.inc(labels, n);
      pending.clear();
      last = undefined;
    },
  });
  return {
    inc(labels) {
      if (last && last.labels.trigger === labels.trigger && last.labels.outcome === labels.outcome && last.labels.code === labels.code) {
        last.n++;
        return;
      }
      const key = `${labels.trigger}\0${labels.outcome}\0${labels.code}`;
      last = pending.get(key);
      if (last) last.n++;
      else pending.set(key, (last = { labels: { ...labels }, n: 1 }));
    },
  };
}
