/**
 * The contract every provider connector implements (connectors/<id>/index.ts). A connector
 * pre-bakes one provider's protocol — signature scheme, timestamp header, body encodings,
 * handshakes, filters, delivery ids and the answer the provider expects — on top of the
 * generic trigger core. Connectors import from `core/connector-kit.ts` only.
 */
import type { z } from 'zod';
import type { Clock } from './clock.js';
import type { RawRequest } from './request/raw-request.js';
import type { Verdict } from './reject.js';

/** An answer to send as is: a status, optional headers and a JSON or text body. */
export interface ResponseSpec {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly json?: unknown;
  readonly text?: string;
}

/** A verified request, decoded the way the provider encodes it. */
export interface Delivery<Payload> {
  /** The decoded body, checked against the connector's payload schema. */
  readonly payload: Payload;
  /** What `payload-filter` conditions and `{payload.x}` templates see; defaults to `payload`. */
  readonly view?: unknown;
  /** The provider's id for this delivery; repeats of it launch nothing. */
  readonly deliveryId?: string | undefined;
  /** A short name of what was delivered (`push`, `slash_command`, `event_callback`), for the log. */
  readonly kind: string;
}

/** How a run is getting on, for connectors that report back to the sender (Slack's response_url). */
export interface RunProgress {
  readonly runId: string;
  readonly phase: 'started' | 'failed' | 'completed';
  /** One line per launched action (with a link where the launcher has one) or per failure. */
  readonly details: readonly string[];
  /** When the delivery that started the run was received (Slack's response_url lives 30 minutes from then). */
  readonly acceptedAtMs: number;
  /** Now, from the service's clock: when this progress is being reported. */
  readonly atMs: number;
}

/**
 * What became of a follow-up: sent, and by which route; or dropped, with a reason the run's info
 * shows ("response_url expired (after 30 min) and no bot_token configured"). Never a credential.
 */
export type FollowUpResult = { readonly sent: string } | { readonly dropped: string };

/**
 * How much of a delivery `parse` checks against the connector's `payload` schema: `all` of it, or
 * only the fields the connector itself reads (its handshake, filters, delivery kind and id,
 * answers). A trigger whose conditions and templates read nothing of the payload asks for `own`
 * on every request: checking the whole of a large provider payload (a GitHub push) cost more than
 * parsing it. The rest is checked where it is read — by the typed parser in the launched code.
 */
export type PayloadScope = 'all' | 'own';

export interface Connector<Params = unknown, Payload = unknown> {
  /** = folder name = registry key = `connector.type` in the config. */
  readonly id: string;
  readonly title: string;
  /** The `connector:` block of a trigger (without `type`), validated once at start-up. */
  readonly params: z.ZodType<Params>;
  /** The decoded body; the source of the generated payload parsers. */
  readonly payload: z.ZodType<Payload>;
  /** How the generated parsers decode the stored body before validating it. */
  readonly encoding: 'json' | 'form-or-json';
  /**
   * Python appended to the generated parser (stdlib only, after its classes): the provider's
   * next step for launched code, e.g. answering through Slack's response_url.
   */
  readonly parserHelpers?: { readonly python: string } | undefined;
  /** What a trigger verifies, in words for `hooklaunch check` and the page: scheme, header, signed string, tolerance. */
  readonly verification: (params: Params) => string;
  /** The sender gives up after this long; hooklaunch always answers well before. */
  readonly ackDeadlineMs: number;
  /** How long a delivery id is remembered: at least the provider's retry window. */
  readonly dedupeWindowSeconds: number;
  /** Header names (lower case) that carry credentials and never reach the trigger log. */
  readonly sensitiveHeaders: readonly string[];
  /** What the page shows someone setting the provider up. */
  readonly setup?: {
    /** Where to paste what on the provider, one paragraph; `{url}` is the trigger's URL. */
    readonly steps: string;
    /** The provider issues the signing secret (it is pasted from there), rather than taking one chosen here. */
    readonly providerIssuesSecret?: boolean;
  };
  /**
   * The form of a secret generated for this connector (rotation, the page's templates): `whsec`
   * for a Standard Webhooks key (`whsec_` + base64), else `hex`. Given the `connector:` block as
   * written, since a stored secret is not in clear when this is asked.
   */
  secretFormat?(block: Readonly<Record<string, unknown>>): 'hex' | 'whsec';
  /** Headers a trigger's params name as carrying its credential (a configurable token header). */
  credentialHeaders?(params: Params): readonly string[];
  /**
   * Whether the provider's signature covers the delivery id (Standard Webhooks' `webhook-id`).
   * When it does not (GitHub's `X-GitHub-Delivery`), deliveries are deduplicated on their body
   * too, so a captured one sent again under a new id launches nothing.
   */
  signsDeliveryId?(params: Params): boolean;
  /**
   * The largest body the provider documents sending; a trigger's `max_body_bytes` defaults to it
   * (5 MiB when absent). Set it where the provider sends more than 5 MiB, or its deliveries get 413.
   */
  readonly maxBodyBytes?: number | undefined;

  /** Authenticates the raw bytes. Pure: no I/O, the clock injected, secrets from params. */
  verify(req: RawRequest, params: Params, clock: Clock): Verdict<void> | Promise<Verdict<void>>;
  /**
   * Decodes a verified request; reachable only after `verify` passed. `scope` (default `all`):
   * with `own`, a connector may check only its own fields, and `payload` is then typed beyond
   * what was checked — read only those fields from it.
   */
  parse(req: RawRequest, params: Params, scope?: PayloadScope): Verdict<Delivery<Payload>>;
  /** A protocol ping (Slack url_verification, GitHub ping) answered without launching. */
  handshake?(delivery: Delivery<Payload>, params: Params): ResponseSpec | undefined;
  /** The connector's own filters from its params; the reason when this delivery should not launch. */
  filter?(delivery: Delivery<Payload>, params: Params): string | undefined;
  /** The answer to a delivery that is not launched because a filter said no (2xx, so providers do not retry). */
  ignored(reason: string, delivery: Delivery<Payload>, params: Params): ResponseSpec;
  /**
   * The answer to a delivery while its trigger is paused. Absent: 409 `trigger_paused`, a failed
   * delivery the provider shows (and lets the user redeliver, or retries by itself).
   */
  paused?(delivery: Delivery<Payload>, params: Params): ResponseSpec;
  /** The answer to a launched (or repeated) delivery when the trigger sets no `response`. */
  accepted(runId: string, delivery: Delivery<Payload>, params: Params): ResponseSpec;
  /**
   * Signs a body as the provider would (`hooklaunch send`, the web page's test request): the
   * headers to send with it. Absent when only the provider can sign (an asymmetric key).
   */
  sign?(body: Buffer, contentType: string, params: Params, nowMs: number): Record<string, string>;
  /** A realistic body for a test request, matching the connector's own filters. */
  sample?(params: Params): { readonly body: string; readonly contentType: string };
  /** Reports a run's progress back to the sender, best effort; throws only on an unexpected failure. */
  followUp?(progress: RunProgress, delivery: Delivery<Payload>, params: Params): Promise<FollowUpResult | void>;
}

/** Erases a connector's own types so the registry can hold them together. */
export function defineConnector<Params, Payload>(connector: Connector<Params, Payload>): Connector {
  return connector as unknown as Connector;
}
