/** Time source injected everywhere a decision depends on "now", so tests never sleep. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function fixedClock(ms: number): Clock & { set(ms: number): void; advance(ms: number): void } {
  let current = ms;
  return {
    now: () => current,
    set: (value) => {
      current = value;
    },
    advance: (delta) => {
      current += delta;
    },
  };
}
