/**
 * Secret rotation without downtime: the new secret goes first and the ones it replaces stay valid
 * for an overlap, so senders can switch at their pace. The conditions already accept a list
 * (newest first); this decides which secrets are on that list at a given time. Pure: the clock is
 * passed in, and whoever holds the list applies `dropExpired` when `nextExpiryMs` comes.
 */
import { z } from 'zod';
import type { Clock } from '../clock.js';

export const DEFAULT_OVERLAP_SECONDS = 86_400;
/** The longest overlap taken: a previous secret that never ends was not rotated out. */
export const MAX_OVERLAP_SECONDS = 30 * 86_400;

/** `overlap_seconds` as the rotate API takes it. */
export const overlapSeconds = z
  .number()
  .int()
  .min(0, 'must be 0 (the previous secret stops at once) or more')
  .max(MAX_OVERLAP_SECONDS, `must be at most ${MAX_OVERLAP_SECONDS} (30 days)`)
  .default(DEFAULT_OVERLAP_SECONDS);

/** One secret of a field with its lifetime; the current (first) one has no expiry. */
export interface DatedSecret {
  readonly value: string;
  /** Milliseconds since the epoch from which it is no longer accepted. */
  readonly expiresAtMs?: number | undefined;
}

export interface Rotation {
  /** Newest first: the new secret, then the previous ones still valid. */
  readonly secrets: readonly DatedSecret[];
  /** When the replaced secrets stop being accepted; undefined when none remains (overlap 0 or a first secret). */
  readonly previousExpiresAtMs?: number | undefined;
}

/**
 * Makes `next` the current secret. The replaced ones expire `overlapSecondsValue` from now, or
 * earlier if they already did: an emergency rotation (overlap 0, a leaked secret) ends every
 * previous secret at once, never extends one. Rotating to a secret already on the list moves it first.
 */
export function rotateSecrets(current: readonly DatedSecret[], next: string, clock: Clock, overlapSecondsValue = DEFAULT_OVERLAP_SECONDS): Rotation {
  if (next === '') throw new Error('a rotated-in secret must not be empty');
  if (!Number.isInteger(overlapSecondsValue) || overlapSecondsValue < 0 || overlapSecondsValue > MAX_OVERLAP_SECONDS) {
    throw new RangeError(`overlap of ${overlapSecondsValue} s: validate it with the overlapSeconds schema first`);
  }
  const nowMs = clock.now();
  const endMs = nowMs + overlapSecondsValue * 1000;
  const previous = current
    .filter((s) => s.value !== next)
    .map((s) => ({ value: s.value, expiresAtMs: Math.min(s.expiresAtMs ?? endMs, endMs) }))
    .filter((s) => s.expiresAtMs > nowMs);
  const latest = previous.reduce<number | undefined>((max, s) => Math.max(max ?? 0, s.expiresAtMs), undefined);
  return { secrets: [{ value: next }, ...previous], previousExpiresAtMs: latest };
}

/** The list as it stands at `atMs`: the current secret always, previous ones not yet expired. */
export function dropExpired(secrets: readonly DatedSecret[], atMs: number): DatedSecret[] {
  return secrets.filter((s, index) => index === 0 || s.expiresAtMs === undefined || s.expiresAtMs > atMs);
}

/** What a condition's `secret` list holds at `atMs` (newest first). */
export function activeSecrets(secrets: readonly DatedSecret[], atMs: number): string[] {
  return dropExpired(secrets, atMs).map((s) => s.value);
}

/** When the list next changes by itself (a previous secret expiring), to re-apply it then. */
export function nextExpiryMs(secrets: readonly DatedSecret[]): number | undefined {
  const times = secrets.slice(1).flatMap((s) => (s.expiresAtMs === undefined ? [] : [s.expiresAtMs]));
  return times.length === 0 ? undefined : Math.min(...times);
}
