/**
 * Rotation keeps the previous secret valid for the overlap and only the new one after, shown
 * through a real HMAC condition: a trigger compiled with the list as it stands at a given time
 * (injected clock), verifying requests signed by @octokit/webhooks-methods (GitHub's own signer).
 */
import { sign } from '@octokit/webhooks-methods';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { activeSecrets, DEFAULT_OVERLAP_SECONDS, dropExpired, nextExpiryMs, overlapSeconds, rotateSecrets, type DatedSecret } from '../../../core/secrets/rotation.js';
import { generateSecret } from '../../../core/secrets/generate-secret.js';
import { compileTrigger } from '../../../core/triggers/compile-trigger.js';
import { runChecks } from '../../../core/triggers/run-checks.js';
import { tempProject } from '../../helpers/project.js';
import { rawRequest } from '../../helpers/raw-request.js';

const T0 = Date.parse('2026-11-28T12:00:00Z');
const HOUR = 3_600_000;

describe('rotateSecrets', () => {
  it('puts the new secret first and ends the previous one after the overlap (default one day)', () => {
    const rotation = rotateSecrets([{ value: 'old-secret-0123456789' }], 'new-secret-0123456789', fixedClock(T0));
    expect(DEFAULT_OVERLAP_SECONDS).toBe(86_400);
    expect(rotation).toEqual({
      secrets: [{ value: 'new-secret-0123456789' }, { value: 'old-secret-0123456789', expiresAtMs: T0 + 24 * HOUR }],
      previousExpiresAtMs: T0 + 24 * HOUR,
    });
    expect(nextExpiryMs(rotation.secrets)).toBe(T0 + 24 * HOUR);
  });

  it('never extends a previous secret, and overlap 0 (a leaked secret) ends them all at once', () => {
    const clock = fixedClock(T0);
    const first = rotateSecrets([{ value: 'a' }], 'b', clock, 3600).secrets;
    clock.advance(HOUR / 2);
    const second = rotateSecrets(first, 'c', clock, 7200);
    expect(second.secrets).toEqual([{ value: 'c' }, { value: 'b', expiresAtMs: T0 + 2.5 * HOUR }, { value: 'a', expiresAtMs: T0 + HOUR }]);
    expect(second.previousExpiresAtMs).toBe(T0 + 2.5 * HOUR);
    expect(nextExpiryMs(second.secrets)).toBe(T0 + HOUR);
    expect(rotateSecrets(second.secrets, 'd', clock, 0)).toEqual({ secrets: [{ value: 'd' }], previousExpiresAtMs: undefined });
  });

  it('drops secrets already expired, and rotating to a listed secret moves it first', () => {
    const clock = fixedClock(T0 + 2 * HOUR);
    const list: DatedSecret[] = [{ value: 'b' }, { value: 'a', expiresAtMs: T0 + HOUR }];
    expect(rotateSecrets(list, 'c', clock, 60).secrets).toEqual([{ value: 'c' }, { value: 'b', expiresAtMs: T0 + 2 * HOUR + 60_000 }]);
    expect(rotateSecrets([{ value: 'b' }, { value: 'a', expiresAtMs: T0 + 3 * HOUR }], 'a', clock, 60).secrets).toEqual([{ value: 'a' }, { value: 'b', expiresAtMs: T0 + 2 * HOUR + 60_000 }]);
  });

  it('keeps the current secret whatever its dates, and a previous one up to (not at) its expiry', () => {
    const list: DatedSecret[] = [{ value: 'b', expiresAtMs: T0 }, { value: 'a', expiresAtMs: T0 + HOUR }];
    expect(activeSecrets(list, T0 + HOUR - 1)).toEqual(['b', 'a']);
    expect(activeSecrets(list, T0 + HOUR)).toEqual(['b']);
    expect(dropExpired(list, T0 + HOUR)).toEqual([{ value: 'b', expiresAtMs: T0 }]);
    expect(nextExpiryMs([{ value: 'b' }])).toBeUndefined();
  });

  it('takes overlap_seconds from 0 to 30 days, one day by default, and refuses others', () => {
    expect(overlapSeconds.parse(undefined)).toBe(86_400);
    expect(overlapSeconds.parse(0)).toBe(0);
    for (const bad of [-1, 1.5, 30 * 86_400 + 1, '3600']) expect(overlapSeconds.safeParse(bad).success).toBe(false);
    expect(() => rotateSecrets([{ value: 'a' }], 'b', fixedClock(T0), -1)).toThrow(RangeError);
  });
});

describe('a rotated HMAC trigger (GitHub-style X-Hub-Signature-256)', () => {
  const id = '0190fe82-c984-7f66-8302-69874914e1c9';
  const project = tempProject('- step: {name: build, image: x, command: "true"}\n');
  afterAll(() => project.remove());
  const body = JSON.stringify({ ref: 'refs/heads/main', after: '6113728f27ae82c7b1a177c8d03f9e96e0adf246' });

  /** The trigger as whoever holds the list compiles it at `atMs` (the list is what the config then says). */
  function compiledAt(secrets: readonly DatedSecret[], atMs: number) {
    const loaded = project.load(`triggers:
  - id: ${id}
    conditions:
      - type: web-request-auth
        auth_type: hmac
        key: X-Hub-Signature-256
        prefix: "sha256="
        secret: ${JSON.stringify(activeSecrets(secrets, atMs))}
    actions: [{type: run-execution, step: build}]
`);
    return compileTrigger(loaded.config.triggers[0]!, loaded.project);
  }

  async function verdict(secrets: readonly DatedSecret[], signedWith: string, clock: { now(): number }) {
    const req = rawRequest({ headers: { 'X-Hub-Signature-256': await sign(signedWith, body), 'X-GitHub-Event': 'push' }, body });
    const refused = await runChecks(compiledAt(secrets, clock.now()).authChecks, req, clock);
    return refused === undefined || refused.ok ? 'accepted' : refused.rejection.code;
  }

  it('accepts the old and the new secret during the overlap, and only the new one once the expiry is applied', async () => {
    const clock = fixedClock(T0);
    const old = generateSecret('hex');
    const fresh = generateSecret('hex');
    expect(await verdict([{ value: old }], old, clock)).toBe('accepted');

    const rotation = rotateSecrets([{ value: old }], fresh, clock, 3600);
    for (const at of [T0, T0 + HOUR - 1]) {
      clock.set(at);
      expect(await verdict(rotation.secrets, old, clock)).toBe('accepted');
      expect(await verdict(rotation.secrets, fresh, clock)).toBe('accepted');
    }

    clock.set(nextExpiryMs(rotation.secrets)!);
    expect(clock.now()).toBe(T0 + HOUR);
    const applied = dropExpired(rotation.secrets, clock.now());
    expect(await verdict(applied, old, clock)).toBe('signature_mismatch');
    expect(await verdict(applied, fresh, clock)).toBe('accepted');
    expect(await verdict(applied, generateSecret('hex'), clock)).toBe('signature_mismatch');
  });
});
