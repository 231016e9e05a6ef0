import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { PayloadUrlSigner } from '../payloads/payload-url-signer.js';
import type { Store } from '../store/store.js';
import type { CompiledTrigger } from '../triggers/compile-trigger.js';

/** What the HTTP layer needs from the rest of the service. */
export interface HttpContext {
  readonly triggers: ReadonlyMap<string, CompiledTrigger>;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called after a run is committed, to wake the launch worker. */
  readonly onAccepted: () => void;
  readonly adminToken?: string | undefined;
  readonly payloadUrls: PayloadUrlSigner;
}
