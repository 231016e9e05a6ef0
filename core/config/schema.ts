/**
 * The shape of hooklaunch.yaml. Parsed once at start-up; everything after trusts these types.
 * Keys are snake_case as users write them; unknown keys are errors so typos never pass silently.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { findNonPayloadPlaceholder, findTemplateErrors } from '../request/payload-template.js';
import { weakHmacKey, type SecretEncoding } from './hmac-key.js';

/** The placeholders a signed-message template may use. */
export const MESSAGE_PLACEHOLDER = /^\{(body|timestamp|header:[A-Za-z0-9_-]+)\}$/;

const MiB = 1024 * 1024;

/** A trigger's body limit when neither it (`max_body_bytes`) nor its connector (`maxBodyBytes`) sets one. */
export const DEFAULT_MAX_BODY_BYTES = 5 * MiB;

const nonEmpty = z.string().min(1, 'must not be empty');
const positiveInt = z.number().int().positive();

/** One secret, or a list (newest first) so old and new overlap during rotation. */
export const secrets = z.union([nonEmpty, z.array(nonEmpty).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** One issue per secret that makes a weak HMAC key (see weakHmacKey), at `path` (and its index in a list). */
export function refineHmacSecrets(list: readonly string[], encoding: SecretEncoding, ctx: z.RefinementCtx, path: PropertyKey[] = []): void {
  list.forEach((secret, index) => {
    const problem = weakHmacKey(secret, encoding);
    if (problem) ctx.addIssue({ code: 'custom', path: list.length > 1 ? [...path, index] : path, message: problem });
  });
}

/** Secrets that become HMAC keys: each must give at least 16 key bytes, checked at start-up. */
export function hmacSecrets(encoding: SecretEncoding) {
  return secrets.superRefine((list, ctx) => refineHmacSecrets(list, encoding, ctx));
}

/** Where a value sits in the request: a header, query parameter, form field or JSON dot path. */
const locatorFields = {
  lookup: z.enum(['header', 'query', 'form', 'json']).default('header'),
  key: nonEmpty,
  /** Expected at the start of the value and stripped (`sha256=`, `v0=`, `Bearer `). */
  prefix: z.string().optional(),
  /** The value holds several parts (`t=1,v1=ab,v1=cd`); parts carrying the prefix are candidates. */
  separator: z.string().min(1).optional(),
};

export const staticTokenAuth = z.strictObject({
  type: z.literal('web-request-auth'),
  auth_type: z.literal('static_token'),
  ...locatorFields,
  secret: secrets,
});

export const HMAC_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;

export const hmacAuth = z.strictObject({
  type: z.literal('web-request-auth'),
  auth_type: z.literal('hmac'),
  ...locatorFields,
  secret: secrets,
  algorithm: z.enum(HMAC_ALGORITHMS).default('sha256'),
  encoding: z.enum(['hex', 'base64']).default('hex'),
  /** How the secret string becomes key bytes; `base64` also strips a `whsec_` prefix (Standard Webhooks). */
  secret_encoding: z.enum(['utf8', 'base64']).default('utf8'),
  /** Signed message template over {body}, {timestamp} and {header:Name}. */
  message: nonEmpty.default('{body}'),
}).superRefine((c, ctx) => refineHmacSecrets(c.secret, c.secret_encoding, ctx, ['secret']));

export const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

const jwtAuth = z
  .strictObject({
    type: z.literal('web-request-auth'),
    auth_type: z.literal('jwt'),
    lookup: z.enum(['header', 'query', 'form', 'json']).default('header'),
    key: nonEmpty.default('Authorization'),
    prefix: z.string().default('Bearer '),
    algorithms: z.array(z.enum(JWT_ALGORITHMS, { error: () => `must be one of ${JWT_ALGORITHMS.join(', ')} ("none" is never allowed)` })).min(1),
    secret: secrets.optional(),
    public_key: nonEmpty.optional(),
    jwks_url: z.url({ protocol: /^https?$/ }).optional(),
    issuer: z.union([nonEmpty, z.array(nonEmpty).min(1)]).optional(),
    audience: z.union([nonEmpty, z.array(nonEmpty).min(1)]).optional(),
    subject: nonEmpty.optional(),
    /** Seconds; requires `iat` and rejects older tokens. */
    max_age: positiveInt.optional(),
    clock_tolerance: z.number().int().nonnegative().default(0),
  })
  .superRefine((c, ctx) => {
    const keys = [c.secret, c.public_key, c.jwks_url].filter((k) => k !== undefined);
    if (keys.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of secret, public_key or jwks_url' });
      return;
    }
    const symmetric = c.algorithms.filter((a) => a.startsWith('HS'));
    if (c.secret !== undefined && symmetric.length !== c.algorithms.length) {
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: 'a shared secret only verifies HS256/HS384/HS512; list only those' });
    }
    if (c.secret === undefined && symmetric.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: `${symmetric.join(', ')} needs a shared secret; a public key never verifies HS tokens` });
    }
  });

export const timestampCondition = z.strictObject({
  type: z.literal('timestamp'),
  ...locatorFields,
  format: z.enum(['unix_s', 'unix_ms', 'iso8601']).default('unix_s'),
  /** Seconds either side of now. */
  tolerance: positiveInt.default(300),
});

export const FILTER_OPERATIONS = [
  'equals', 'not-equals', 'contains', 'not-contains', 'starts-with', 'ends-with', 'matches',
  'in', 'exists', 'not-exists', 'gt', 'gte', 'lt', 'lte',
] as const;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const payloadFilter = z
  .strictObject({
    type: z.literal('payload-filter'),
    /** Dot path into the JSON or form body; `\.` is a literal dot. */
    lookup: nonEmpty,
    operation: z.enum(FILTER_OPERATIONS),
    value: z.union([scalar, z.array(scalar)]).optional(),
  })
  .superRefine((c, ctx) => {
    const needsValue = c.operation !== 'exists' && c.operation !== 'not-exists';
    if (!needsValue) return;
    if (c.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `operation ${c.operation} needs a value` });
    } else if (c.operation === 'in' && !Array.isArray(c.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'operation in needs a list of values' });
    } else if (c.operation !== 'in' && Array.isArray(c.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `operation ${c.operation} takes one value, not a list` });
    } else if (['gt', 'gte', 'lt', 'lte'].includes(c.operation) && typeof c.value !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `operation ${c.operation} compares numbers; value must be a number` });
    } else if (c.operation === 'matches') {
      try {
        new RegExp(String(c.value), 'u');
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: `not a valid regular expression: ${(error as Error).message}` });
      }
    }
  });

const rateLimit = z.strictObject({
  type: z.literal('rate-limit'),
  period: positiveInt,
  quota: positiveInt,
});

const deduplicate = z.strictObject({
  type: z.literal('deduplicate'),
  lookup: z.enum(['header', 'json']).default('header'),
  key: nonEmpty,
  window: positiveInt.default(86_400),
});

export const conditionSchema = z.discriminatedUnion('type', [
  z.discriminatedUnion('auth_type', [staticTokenAuth, hmacAuth, jwtAuth]),
  timestampCondition,
  payloadFilter,
  rateLimit,
  deduplicate,
]);

const parameterValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);

const payloadFields = {
  /** `input` for an execution, `node.input` for a pipeline. */
  payload_input: nonEmpty.optional(),
  /** File name of the payload; by default derived from the content type. */
  payload_filename: z.string().regex(/^(?!\.{1,2}$)[^/\\\0]+$/, 'must be a plain file name').optional(),
  parameters: z.record(z.string(), parameterValue).default({}),
  title: z.string().optional(),
  commit: nonEmpty.optional(),
};

const runExecution = z.strictObject({ type: z.literal('run-execution'), step: nonEmpty, ...payloadFields });
const runPipeline = z.strictObject({ type: z.literal('run-pipeline'), pipeline: nonEmpty, ...payloadFields });
const fetchRepository = z.strictObject({ type: z.literal('fetch-repository') });

export const actionSchema = z.discriminatedUnion('type', [runExecution, runPipeline, fetchRepository]);

const jsonValue: z.ZodType<unknown> = z.lazy(() => z.union([scalar, z.array(jsonValue), z.record(z.string(), jsonValue)]));

const responseSchema = z
  .strictObject({
    status: z.number().int().min(200).max(299).default(200),
    text: z.string().optional(),
    json: jsonValue.optional(),
  })
  .refine((r) => r.text === undefined || r.json === undefined, { message: 'set text or json, not both' });

/** The most deliveries one batch holds: its payload (every body, one per line) is assembled in memory when it launches. */
export const MAX_BATCH_ITEMS = 10_000;
/**
 * Likewise its bytes: 16 MiB by default (500 labelled items of a few KiB each fit many times over),
 * at most 64 MiB. The payload is assembled on the event loop for each download (~0.4 s and a few
 * hundred MB at 64 MiB), and a text body may grow sixfold re-encoded as a JSON string.
 */
export const DEFAULT_BATCH_BYTES = 16 * MiB;
export const MAX_BATCH_BYTES = 64 * MiB;

/**
 * Deliveries gathered into one launch (issue #17): a batch closes `window` seconds after its first
 * delivery, `quiet` seconds after its last, or at `max_items` (or `max_bytes`), whichever comes first.
 */
const batchSchema = z
  .strictObject({
    key: z
      .string()
      .superRefine((key, ctx) => {
        const problem = findTemplateErrors(key) ?? findNonPayloadPlaceholder(key);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('')
      .describe('A payload template ("{payload.dataset.slug}"): deliveries with the same key share a batch. Default: one batch per trigger.'),
    window: positiveInt.max(7 * 86_400).default(600).describe('Seconds after the first delivery of a batch at which it launches at the latest.'),
    quiet: positiveInt.max(7 * 86_400).optional().describe('Seconds without a new delivery after which a batch launches.'),
    max_items: positiveInt.max(MAX_BATCH_ITEMS).default(1_000).describe('Deliveries at which a batch launches at once.'),
    max_bytes: positiveInt
      .max(MAX_BATCH_BYTES)
      .default(DEFAULT_BATCH_BYTES)
      .describe('Payload bytes a batch holds at most: a delivery that would pass it launches the batch and opens the next (the payload is assembled in memory at launch).'),
  })
  .refine((b) => b.quiet === undefined || b.quiet <= b.window, { message: 'quiet must not be longer than window (the window closes the batch first)', path: ['quiet'] });

/**
 * An http(s) URL hooklaunch itself calls (Valohai, a notification target). fetch refuses one with
 * a user name or password and quotes it whole in its error, so every call would fail and write
 * the password into the service log.
 */
const calledUrl = z.url({ protocol: /^https?$/ }).refine((value) => {
  const url = new URL(value);
  return url.username === '' && url.password === '';
}, 'must not hold a user name or password: such a URL is never called, and it would be logged');

/** Where failure notifications go: a Slack incoming webhook, or any URL taking a JSON POST. */
const notifyTarget = z.strictObject({
  url: calledUrl,
  /** slack: `{"text"}` for incoming webhooks; http: a JSON event. Default: slack for hooks.slack.com. */
  kind: z.enum(['slack', 'http']).optional(),
  /**
   * launch_failed: an action failed for good; execution_failed: a launched execution or pipeline
   * ended in error; rejecting: a trigger refuses most of its requests.
   */
  on: z.array(z.enum(['launch_failed', 'execution_failed', 'rejecting'])).min(1).default(['launch_failed', 'execution_failed']),
});

export const TRIGGER_ID_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** One trigger as written in `triggers:` (the admin API validates its bodies with it too). */
export const triggerSchema = z.strictObject({
  /** A provider connector (`type: slack | github | v7 ...`); its own keys are checked by the connector. */
  connector: z.looseObject({ type: nonEmpty }).optional(),
  id: z.string().regex(TRIGGER_ID_PATTERN, 'must be 16 to 128 letters, digits, "-" or "_" (it is the secret part of the URL; mint one with `hooklaunch new-id`)'),
  title: z.string().default(''),
  conditions: z.array(conditionSchema).default([]),
  actions: z.array(actionSchema).min(1, 'a trigger needs at least one action'),
  response: responseSchema.optional(),
  /** Unset: the connector's provider limit, else DEFAULT_MAX_BODY_BYTES (resolved in compileTrigger). */
  max_body_bytes: positiveInt.optional(),
  /** Notification targets for this trigger, besides the global ones. */
  notify: z.array(notifyTarget).default([]),
  /**
   * A JSON Schema the payload must match (else `400 payload_invalid` naming the field), and the
   * source of `hooklaunch codegen --trigger`: a file relative to the config, or the schema inline
   * (API-managed triggers). The loader replaces a file name with the schema it holds.
   */
  payload_schema: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** Deliveries launched together: the actions run once per batch, with every payload of it. */
  batch: batchSchema.optional(),
});

/**
 * What the launch route may hold at once (issue #11). Memory grows with connections × body size,
 * so both are capped; past a cap the answer is 503 + Retry-After and the body is not read.
 * Defaults are sized for a small host (2 cores, a few GiB free for hooklaunch): 256 MiB of
 * bodies in flight is ~50 bodies at the default 5 MiB `max_body_bytes`, and a parsed JSON body
 * costs a few times its size again, so the worst case stays near 1 GiB; one trigger may take a
 * quarter of it, so a flood on one URL leaves room for the others. 256 connections is far more
 * than webhook senders use (they deliver one request at a time per hook) and cheap to hold.
 */
export const SERVER_LIMIT_DEFAULTS = { max_connections: 256, max_inflight_bytes: 256 * MiB, max_inflight_bytes_per_trigger: 64 * MiB };

const serverLimits = z.strictObject({
  /** Open connections past which launch requests get 503; twice this many are closed unanswered. */
  max_connections: positiveInt.default(SERVER_LIMIT_DEFAULTS.max_connections),
  /** Request-body bytes held in memory at once across all triggers. */
  max_inflight_bytes: positiveInt.default(SERVER_LIMIT_DEFAULTS.max_inflight_bytes),
  /** Request-body bytes held in memory at once for one trigger. */
  max_inflight_bytes_per_trigger: positiveInt.default(SERVER_LIMIT_DEFAULTS.max_inflight_bytes_per_trigger),
});

/** What an admin token may do, each role including the ones before it: read; replay, pause, test; change triggers. */
export const ADMIN_ROLES = ['viewer', 'operator', 'admin'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** The name `server.admin_token` goes by in the audit log and on the page. */
export const SINGLE_ADMIN_TOKEN_NAME = 'admin';

const adminTokenSchema = z.strictObject({
  /** Named in the audit log, the page and revision history; never the token itself. */
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "-" or "_"'),
  token: z.string().min(16, 'must be at least 16 characters'),
  role: z.enum(ADMIN_ROLES),
});

/** An IPv4 or IPv6 address, or a CIDR block of them (`10.0.0.0/8`, `fd00::/8`). */
const addressOrCidr = z.string().refine(
  (value) => {
    const [address = '', bits, ...rest] = value.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (bits === undefined) return true;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  },
  { message: 'must be an IP address or a CIDR block (127.0.0.1, 10.0.0.0/8, ::1, fd00::/8)' },
);

const tlsSchema = z
  .strictObject({
    cert: nonEmpty.describe('PEM file with the certificate, then any intermediates; relative to the config file. Re-read on SIGHUP.'),
    key: nonEmpty.describe("PEM file with the certificate's private key; relative to the config file. Re-read on SIGHUP."),
  })
  .describe('Serve HTTPS (node:https) with this certificate and key instead of plain HTTP.');

const serverSchema = z
  .strictObject({
    host: nonEmpty.default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    public_url: z.url({ protocol: /^https?$/ }).optional(),
    tls: tlsSchema.optional(),
    trust_proxy: z
      .array(addressOrCidr)
      .default([])
      .describe(
        'Addresses or CIDR blocks of reverse proxies in front of hooklaunch. Only a request whose direct peer is one of them has its X-Forwarded-For (the client address in the trigger log) and X-Forwarded-Proto (its scheme) honoured; from anyone else they are ignored.',
      ),
    allow_insecure_public_url: z
      .boolean()
      .default(false)
      .describe('Accept an http:// public_url with the valohai launcher, whose signed payload URLs then travel unencrypted.'),
    /** Bearer token for the admin API with the admin role, named "admin"; empty or absent: none. */
    admin_token: z.union([z.literal('').transform(() => undefined), z.string().min(16, 'must be at least 16 characters')]).optional(),
    /** Further named tokens with a role each; with no token at all the admin API and page are disabled. */
    admin_tokens: z.array(adminTokenSchema).default([]),
    /** Key for signing payload URLs handed to remote executions; generated and kept in the store when absent. */
    url_signing_key: z.string().min(32, 'must be at least 32 characters').optional(),
    limits: serverLimits.default(SERVER_LIMIT_DEFAULTS),
  })
  .superRefine((server, ctx) => {
    // A request is resolved to one token, so names and tokens must each name one entry.
    const names = new Set(server.admin_token === undefined ? [] : [SINGLE_ADMIN_TOKEN_NAME]);
    const tokens = new Set(server.admin_token === undefined ? [] : [server.admin_token]);
    server.admin_tokens.forEach((entry, index) => {
      if (names.has(entry.name)) {
        const taken = entry.name === SINGLE_ADMIN_TOKEN_NAME && server.admin_token !== undefined ? ' (server.admin_token goes by it)' : '';
        ctx.addIssue({ code: 'custom', path: ['admin_tokens', index, 'name'], message: `name ${entry.name} is already taken${taken}` });
      }
      if (tokens.has(entry.token)) ctx.addIssue({ code: 'custom', path: ['admin_tokens', index, 'token'], message: 'the same token is configured twice; give each name its own token' });
      names.add(entry.name);
      tokens.add(entry.token);
    });
  });

const localLauncher = z.strictObject({
  kind: z.literal('local'),
  concurrency: positiveInt.default(2),
  /** Launch attempts before an action is recorded as failed. */
  max_attempts: positiveInt.default(5),
  /** Seconds a claimed launch is reserved before another instance may take it over. */
  lease: positiveInt.default(60),
  /** Seconds a shutdown lets running executions finish before stopping them (they run again on the next start). */
  grace: z.number().int().min(0).default(10),
});

const valohaiLauncher = z.strictObject({
  kind: z.literal('valohai'),
  /** The Valohai installation, e.g. https://app.valohai.com */
  host: calledUrl.default('https://app.valohai.com'),
  token: z.string().min(1, 'an API token is needed (create one under your Valohai account → API tokens)'),
  /** The Valohai project's id (a UUID). */
  project: nonEmpty,
  /** Commit or ref an action runs when it names none. */
  commit: nonEmpty.default('main'),
  /** Environment slug or id for executions and pipeline nodes; Valohai's default when absent. */
  environment: nonEmpty.optional(),
  max_attempts: positiveInt.default(8),
  /** Seconds a claimed launch is reserved before another instance may take it over (longer than request_timeout). */
  lease: positiveInt.default(120),
  /** Seconds one API call may take before it counts as failed (and is retried). */
  request_timeout: positiveInt.default(30),
  /** Seconds a signed payload URL stays valid. */
  payload_url_ttl: positiveInt.default(7 * 86_400),
});

export const configSchema = z
  .strictObject({
    server: serverSchema.default({ host: '127.0.0.1', port: 8080, admin_tokens: [], limits: SERVER_LIMIT_DEFAULTS, trust_proxy: [], allow_insecure_public_url: false }),
    store: z.strictObject({ url: nonEmpty.default('sqlite:.hooklaunch/state.db') }).default({ url: 'sqlite:.hooklaunch/state.db' }),
    project: z
      .strictObject({
        path: nonEmpty.default('.'),
        valohai_yaml: nonEmpty.default('valohai.yaml'),
        /** Where fetch-repository fetches from: a remote of the repository at `path`, or any git URL. */
        remote: nonEmpty.default('origin'),
      })
      .default({ path: '.', valohai_yaml: 'valohai.yaml', remote: 'origin' }),
    launcher: z.discriminatedUnion('kind', [localLauncher, valohaiLauncher]).default({ kind: 'local', concurrency: 2, max_attempts: 5, lease: 60, grace: 10 }),
    triggers: z.array(triggerSchema).default([]),
    notify: z.array(notifyTarget).default([]),
    /** When a trigger counts as "rejecting most of its requests". */
    rejecting: z
      .strictObject({ ratio: z.number().gt(0).max(1).default(0.8), min_requests: positiveInt.default(10), window: positiveInt.default(600) })
      .default({ ratio: 0.8, min_requests: 10, window: 600 }),
    /**
     * Trigger-log entries, payloads and finished runs older than this many days are purged (a run
     * still pending never is). On by default; `retention: false` keeps everything.
     */
    retention: z.union([z.literal(false), z.strictObject({ days: positiveInt })]).default({ days: 30 }),
    /** What the trigger log keeps of requests anybody can send (refused before authentication). */
    trigger_log: z
      .strictObject({
        /** Leading body bytes kept of an unauthenticated rejection (enough for most webhook bodies to be replayable). */
        body_sample_bytes: z.number().int().min(0).max(MiB).default(64 * 1024),
        /** Bytes of header names and values kept of one. */
        header_bytes: z.number().int().min(256).max(64 * 1024).default(8 * 1024),
        /** Identical ones (trigger, code, sender) within this many seconds become a repeat count on one line. */
        aggregate_seconds: positiveInt.default(60),
        /** What all logged unauthenticated rejections may cost in the store; past it they are counted in metrics only. */
        unauthenticated_max_bytes: positiveInt.default(256 * MiB),
      })
      .default({ body_sample_bytes: 64 * 1024, header_bytes: 8 * 1024, aggregate_seconds: 60, unauthenticated_max_bytes: 256 * MiB }),
  })
  .superRefine((config, ctx) => {
    if (config.launcher.kind === 'valohai' && config.server.public_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['server', 'public_url'], message: 'the valohai launcher hands payloads to remote executions as URLs of this service; set the https URL it is reached at' });
    } else if (config.launcher.kind === 'valohai' && config.server.public_url?.startsWith('http:') && !config.server.allow_insecure_public_url) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'public_url'],
        message: 'is http://: the signed payload URLs handed to Valohai executions (which grant the payload to whoever holds them) would travel unencrypted; use the https:// URL (server.tls, or a TLS proxy in front), or set server.allow_insecure_public_url: true if the network is trusted',
      });
    }
    const limits = config.server.limits;
    if (limits.max_inflight_bytes_per_trigger > limits.max_inflight_bytes) {
      ctx.addIssue({ code: 'custom', path: ['server', 'limits', 'max_inflight_bytes_per_trigger'], message: `must not exceed max_inflight_bytes (${limits.max_inflight_bytes})` });
    }
    const seen = new Map<string, number>();
    config.triggers.forEach((trigger, index) => {
      // A body larger than the trigger's in-flight budget could never be read: every try would get 503.
      if (trigger.max_body_bytes !== undefined && trigger.max_body_bytes > limits.max_inflight_bytes_per_trigger) {
        ctx.addIssue({ code: 'custom', path: ['triggers', index, 'max_body_bytes'], message: `exceeds server.limits.max_inflight_bytes_per_trigger (${limits.max_inflight_bytes_per_trigger}); raise that limit too` });
      } else if (trigger.max_body_bytes === undefined && trigger.connector === undefined && DEFAULT_MAX_BODY_BYTES > limits.max_inflight_bytes_per_trigger) {
        // The default counts too: a body between the two limits could never be read (503 every time).
        ctx.addIssue({
          code: 'custom',
          path: ['triggers', index, 'id'],
          message: `its bodies may be up to ${DEFAULT_MAX_BODY_BYTES} bytes (the default max_body_bytes), more than server.limits.max_inflight_bytes_per_trigger (${limits.max_inflight_bytes_per_trigger}); set max_body_bytes or raise that limit`,
        });
      }
      const first = seen.get(trigger.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['triggers', index, 'id'], message: `duplicates the id of triggers[${first}]` });
      }
      seen.set(trigger.id, index);
    });
  });

export type Config = z.output<typeof configSchema>;
export type TriggerConfig = Config['triggers'][number];
export type ConditionConfig = z.output<typeof conditionSchema>;
export type ActionConfig = z.output<typeof actionSchema>;
export type LocalLauncherConfig = z.output<typeof localLauncher>;
export type ValohaiLauncherConfig = z.output<typeof valohaiLauncher>;
export type NotifyTarget = z.output<typeof notifyTarget>;
export type ResponseConfig = z.output<typeof responseSchema>;
export type StaticTokenConfig = z.output<typeof staticTokenAuth>;
export type HmacConfig = z.output<typeof hmacAuth>;
export type JwtConfig = z.output<typeof jwtAuth>;
export type TimestampConfig = z.output<typeof timestampCondition>;
export type PayloadFilterConfig = z.output<typeof payloadFilter>;
export type RateLimitConfig = z.output<typeof rateLimit>;
export type DeduplicateConfig = z.output<typeof deduplicate>;
export type ServerLimitsConfig = z.output<typeof serverLimits>;
export type AdminTokenConfig = z.output<typeof adminTokenSchema>;
export type TlsConfig = z.output<typeof tlsSchema>;
// Where a value is in a request: defined with the code that finds it (core/request sits below config).
export type { LocatorConfig } from '../request/locate-value.js';
