/**
 * What the bench sends and the configs it serves: the 7.7 KB GitHub push from
 * @octokit/webhooks-examples for every JSON scenario, signed afresh per request where the
 * scenario needs it (fresh timestamps, delivery ids, trigger_ids), so dedupe never short-cuts.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { LoadRequest } from './load-generator.js';
import { BENCH_SECRET as SECRET } from './bench-secret.js';

type Request = LoadRequest;

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
// The largest branch push among GitHub's own examples (7,678 bytes): the body issue 14 measured with.
const push = examples.find((g) => g.name === 'push')!.examples.filter((e) => String(e.ref).startsWith('refs/heads/')).sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0]!;
export const pushBody = JSON.stringify(push);
const PUSH_REF = String(push.ref);
const githubSignature = `sha256=${createHmac('sha256', SECRET).update(pushBody).digest('hex')}`;

/** A JSON body of about `bytes` that passes the generic trigger's filter. */
export function paddedBody(bytes: number): string {
  return JSON.stringify({ ref: PUSH_REF, pad: 'x'.repeat(Math.max(0, bytes - 40)) });
}

export const ID = (n: number): string => `0190fe82-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
export const launchPath = (triggerId: string): string => `/api/v0/launch/${triggerId}/`;

/** The fixed push, unsigned (the bare reference) or with its GitHub signature (HMAC peer, octokit). */
export function fixedPush(path: string, signed: boolean): Request {
  const headers = signed ? { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': '1', 'x-hub-signature-256': githubSignature } : { 'content-type': 'application/json' };
  return { method: 'POST', path, body: pushBody, headers };
}

/** The push's `"after":"<sha>"`: a fresh commit sha per request makes each body, and its signature, new. */
const AFTER = /"after":"[0-9a-f]{40}"/;

/**
 * A fresh push per request: a new commit sha (same size) signed afresh, a new delivery id. The
 * connector dedupes on the body too (the delivery id is not signed), so a fixed body would make
 * every request after the first a duplicate and the row would measure no accept at all.
 */
export function githubSigned(path: string): Request {
  return {
    method: 'POST',
    path,
    setupRequest: (request) => {
      const body = pushBody.replace(AFTER, `"after":"${randomBytes(20).toString('hex')}"`);
      const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      return { ...request, body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature } };
    },
  };
}

export function slackSigned(path: string, command = '/predict'): Request {
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

export interface HmacOptions {
  readonly secret?: string;
  /** Seconds added to now for the signed timestamp (−3600: stale). */
  readonly skewS?: number;
  /** A fresh random trigger id per request in place of `path` (the unknown-trigger reject). */
  readonly randomTrigger?: boolean;
}

/** The generic trigger's scheme: `X-Signature: sha256=HMAC(secret, "{timestamp}.{body}")`, `X-Timestamp`. */
export function hmacSigned(path: string, body: string, options: HmacOptions = {}): Request {
  let signed = { ts: '', signature: '' };
  return {
    method: 'POST',
    path,
    body,
    setupRequest: (request) => {
      const ts = String(Math.floor(Date.now() / 1000) + (options.skewS ?? 0));
      // The signature changes once a second: signed again only then, so the sender stays cheap.
      if (ts !== signed.ts) signed = { ts, signature: `sha256=${createHmac('sha256', options.secret ?? SECRET).update(`${ts}.${body}`).digest('hex')}` };
      const { signature } = signed;
      return { ...request, ...(options.randomTrigger && { path: launchPath(randomUUID()) }), headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': signature } };
    },
  };
}

/** Forged with one fixed timestamp and signature: the flood costs the sender nothing per request. */
export function forged(path: string, body: string): Request {
  const ts = String(Math.floor(Date.now() / 1000));
  return { method: 'POST', path, body, headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': `sha256=${'0'.repeat(64)}` } };
}

export const GENERIC = (id: string): string => `  - id: ${id}
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Signature, prefix: "sha256=", secret: ${SECRET}, message: "{timestamp}.{body}"}
      - {type: timestamp, key: X-Timestamp, tolerance: 300}
      - {type: payload-filter, lookup: ref, operation: equals, value: ${PUSH_REF}}
      - {type: rate-limit, period: 3600, quota: 100000000}
    actions: [{type: run-execution, step: noop}]
    max_body_bytes: 10000000
`;
export const GITHUB = (id: string): string => `  - id: ${id}\n    connector: {type: github, secret: ${SECRET}}\n    actions: [{type: fetch-repository}]\n`;
export const SLACK = (id: string, step = 'noop'): string => `  - id: ${id}\n    connector: {type: slack, secret: ${SECRET}, commands: [/predict], follow_up: false}\n    actions: [{type: run-execution, step: ${step}}]\n`;

/** A hooklaunch config in `dir`; `store` is a store URL, or absent for a SQLite file named after the config. */
export function writeConfig(dir: string, name: string, triggers: string, options: { store?: string; extra?: string } = {}): { file: string; db: string } {
  const file = join(dir, `${name}.yaml`);
  const db = join(dir, `${name}.db`);
  writeFileSync(file, `store: {url: "${options.store ?? `sqlite:${db}`}"}\nproject: {path: "${dir}"}\n${options.extra ?? ''}\ntriggers:\n${triggers}`);
  return { file, db };
}
