import { randomBytes, randomUUID } from 'node:crypto';
import { header, hmacCheck, perParams, refuse, signHmac, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { GithubParams } from './params.js';

const SIGNATURE = 'x-hub-signature-256';
/** What X-Hub-Signature-256 covers (the raw body): the check and `signGithub` share it. */
const SIGNED = '{body}';
export const EVENT = 'x-github-event';
export const DELIVERY = 'x-github-delivery';
const SHA256_SIGNATURE = /^sha256=[0-9a-f]{64}$/;

// GitHub signs the raw bytes it sends: hex(HMAC-SHA256(secret, body)). @octokit/webhooks-methods'
// verify() takes the body as a string, so a body that is not valid UTF-8 would be checked after
// decoding (0xFF becomes U+FFFD) and a signature over other bytes would pass. The kit's HMAC
// check works on the raw Buffer, compares in constant time and tries every secret (rotation);
// the tests keep octokit's sign() as the oracle for valid UTF-8 bodies.
const checkFor = perParams((params: GithubParams) => hmacCheck({ key: SIGNATURE, prefix: 'sha256=', secret: params.secret, message: SIGNED }));

export function verifyGithub(req: RawRequest, params: GithubParams, clock: Clock): Verdict<void> | Promise<Verdict<void>> {
  for (const name of [SIGNATURE, EVENT, DELIVERY]) {
    const values = req.headers[name] ?? [];
    if (values.length === 0) return refuse('missing_header', `header ${name} is missing${name === SIGNATURE ? ' (set a secret on the GitHub webhook)' : ''}`);
    if (values.length > 1) return refuse('duplicate_header', `header ${name} appears ${values.length} times; send it once`);
  }
  const signature = header(req, SIGNATURE)!;
  if (!SHA256_SIGNATURE.test(signature)) return refuse('malformed_signature', `header ${SIGNATURE} is not "sha256=" and 64 hex digits`);
  if (req.body.length === 0) return refuse('signature_mismatch', 'the body is empty; GitHub always delivers a payload');
  // The kit's HMAC check is synchronous; a promise is not made per delivery for it.
  const verified = checkFor(params)(req, clock);
  return verified instanceof Promise ? verified.then(mismatchNamed) : mismatchNamed(verified);
}

function mismatchNamed(verified: Verdict<void>): Verdict<void> {
  return verified.ok ? verified : refuse('signature_mismatch', `header ${SIGNATURE} does not match the request body`);
}

/** Signs a body as GitHub does (hooklaunch send, test requests); a fresh delivery id each time. */
export function signGithub(body: Buffer, contentType: string, params: GithubParams): Record<string, string> {
  const signature = signHmac({ secret: params.secret[0]!, message: SIGNED }, { body });
  const event = params.events[0]!.split('.')[0]!;
  return { 'content-type': contentType, [EVENT]: event, [DELIVERY]: randomUUID(), [SIGNATURE]: `sha256=${signature}`, 'user-agent': 'GitHub-Hookshot/hooklaunch-test' };
}

/** A push (or the first configured event) that passes this trigger's own filters. */
export function sampleGithub(params: GithubParams): { body: string; contentType: string } {
  const [event, action] = params.events[0]!.split('.');
  const branch = params.branches?.find((b) => !/[*?[]/.test(b)) ?? 'main';
  const repository = params.repositories?.[0] ?? 'hooklaunch/test';
  const after = randomBytes(20).toString('hex');
  const payload =
    event === 'push'
      ? { ref: `refs/heads/${branch}`, before: '0'.repeat(40), after, created: false, deleted: false, forced: false, commits: [], head_commit: { id: after, message: 'hooklaunch test push' }, repository: { id: 1, name: repository.split('/')[1], full_name: repository }, sender: { login: 'hooklaunch' } }
      : { ...(action && { action }), repository: { id: 1, name: repository.split('/')[1], full_name: repository }, sender: { login: 'hooklaunch' } };
  return { body: JSON.stringify(payload), contentType: 'application/json' };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeGithubVerification = (_params: GithubParams): string => `HMAC-SHA256 "sha256=" in ${SIGNATURE} over the body`;
