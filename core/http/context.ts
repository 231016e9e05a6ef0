import type { Clock } from '../clock.js';
import type { CancelRunOutcome } from '../launch/cancel-run.js';
import type { AdminTokenConfig } from '../config/schema.js';
import type { QueueDepths } from '../launch/queue-depths.js';
import type { Metrics } from '../metrics/metrics.js';
import type { InflightBudget } from './inflight-budget.js';
import type { OverloadedLimit } from './refuse-overloaded.js';
import type { ProxyTrust } from './proxy-trust.js';
import type { PayloadUrlSigner } from '../payloads/payload-url-signer.js';
import type { DeliveryContext } from '../triggers/handle-delivery.js';
import type { CompiledTrigger } from '../triggers/compile-trigger.js';
import type { LiveTriggers } from '../triggers/live-triggers.js';
import type { TriggerSet } from '../triggers/trigger-set.js';
import type { ManualClose } from '../triggers/batch-closer.js';
import type { Store } from '../store/store.js';

/** What the HTTP layer needs from the rest of the service. */
export interface HttpContext extends DeliveryContext {
  /** The whole store: the admin API and the page read every role of it (a delivery needs only the trigger log). */
  readonly store: Store;
  readonly triggers: TriggerSet;
  /** Creates, changes and reloads triggers while the service runs (the admin API's trigger routes). */
  readonly liveTriggers?: LiveTriggers | undefined;
  readonly clock: Clock;
  /** Told of requests refused before their body was read (metrics). */
  readonly onRefusedEarly?: (triggerId: string, code: string) => void;
  /** Told how long a request took from arrival to answer (metrics). */
  readonly onAnswered?: (trigger: CompiledTrigger, outcome: string, seconds: number) => void;
  readonly metrics?: Metrics | undefined;
  /** Request-body bytes held in memory, server-wide and per trigger (`server.limits`). */
  readonly inflight: InflightBudget;
  /** Open connections past which launch and run-info requests get 503 (`server.limits.max_connections`). */
  readonly maxConnections: number;
  /** Told of requests refused with 503 because a limit was reached (metrics). */
  readonly onOverloaded?: (triggerId: string, limit: OverloadedLimit) => void;
  /** Where senders reach the service (trigger URLs on the web page). */
  readonly publicUrl?: string | undefined;
  /** This process's own listening URL, for test requests sent from the web page. */
  readonly selfUrl?: () => string;
  /** Launch jobs and launched executions waiting and running (the web page's overview, like /metrics). */
  readonly queueDepths?: () => Promise<QueueDepths>;
  /** Whether the service can take work: the store answers and the launch worker runs. */
  readonly ready?: () => Promise<{ ok: boolean; detail: string }>;
  /** `server.admin_token` (as "admin") and `server.admin_tokens`; none disables the admin API and page. */
  readonly adminTokens: readonly AdminTokenConfig[];
  readonly payloadUrls: PayloadUrlSigner;
  /** `server.trust_proxy`; undefined (none listed): X-Forwarded-* are never read. */
  readonly trustProxy?: ProxyTrust | undefined;
  /** Stops a run's unfinished work where it runs (`runs cancel`); undefined: no such run. */
  readonly cancelRun?: (runId: string, by: string) => Promise<CancelRunOutcome | undefined>;
  /** Closes an open or held batch now (`hooklaunch batch close`). */
  readonly closeBatch?: (batchId: string) => Promise<ManualClose>;
}
