import { describe, expect, it } from 'vitest';
import { createInflightBudget } from '../../../core/http/inflight-budget.js';
import { tempProject } from '../../helpers/project.js';

describe('in-flight budget', () => {
  it('refuses a reservation past either limit whole, names which, and releases exactly what it held', () => {
    const budget = createInflightBudget({ maxBytes: 100, maxBytesPerTrigger: 60 });
    const a = budget.open('a');
    expect(a.grow(50)).toBe(true);
    expect(a.grow(20)).toBe(false);
    expect(a.refusedBy).toBe('inflight_bytes_per_trigger');
    expect(budget.bytesOf('a')).toBe(50);
    const b = budget.open('b');
    expect(b.grow(50)).toBe(true);
    expect(budget.open('c').grow(1)).toBe(false);
    expect(budget.peakBytes).toBe(100);
    a.release();
    a.release();
    expect(budget.bytes).toBe(50);
    expect(budget.bytesOf('a')).toBe(0);
    b.release();
    expect(budget.bytes).toBe(0);
    expect(() => b.grow(1)).toThrow(/after its release/);
  });

  it('keeps the bytes of a trigger with an open hold across the sweep of unused shares, and counts a swept trigger afresh', () => {
    const budget = createInflightBudget({ maxBytes: 1_000_000, maxBytesPerTrigger: 100 });
    const held = budget.open('held');
    expect(held.grow(60)).toBe(true);
    budget.open('idle').release();
    // Past the sweep floor (1024 shares): unused shares are swept, one with an open hold is not.
    for (let i = 0; i < 3000; i++) {
      const hold = budget.open(`t${i}`);
      expect(hold.grow(1)).toBe(true);
      hold.release();
    }
    expect(budget.bytesOf('held')).toBe(60);
    expect(budget.open('held').grow(41)).toBe(false);
    expect(held.grow(40)).toBe(true);
    expect(budget.bytesOf('held')).toBe(100);
    held.release();
    expect(budget.bytesOf('held')).toBe(0);
    expect(budget.bytesOf('idle')).toBe(0);
    expect(budget.bytes).toBe(0);
    const again = budget.open('idle');
    expect(again.grow(100)).toBe(true);
    expect(budget.bytesOf('idle')).toBe(100);
    again.release();
  });

  it('a trigger whose max_body_bytes exceeds the per-trigger limit is a config error naming both', () => {
    const project = tempProject('- step: {name: ok, image: x, command: "true"}\n');
    try {
      expect(() =>
        project.load(`server: {limits: {max_inflight_bytes_per_trigger: 1000}}\ntriggers:\n  - id: 0190fe82-0000-7000-8000-0000000000f9\n    max_body_bytes: 2000\n    actions: [{type: run-execution, step: ok}]\n`),
      ).toThrow(/triggers\[0\]\.max_body_bytes.*max_inflight_bytes_per_trigger/);
      // The default body limit counts too (found by a newcomer: a 600 KB body got 503 forever).
      expect(() => project.load(`server: {limits: {max_inflight_bytes_per_trigger: 500000}}\ntriggers:\n  - id: 0190fe82-0000-7000-8000-0000000000f9\n    actions: [{type: run-execution, step: ok}]\n`)).toThrow(
        /triggers\[0\]\.id: its bodies may be up to 5242880 bytes \(the default max_body_bytes\), more than server\.limits\.max_inflight_bytes_per_trigger \(500000\)/,
      );
      expect(() => project.load(`server: {limits: {max_inflight_bytes_per_trigger: 500000}}\ntriggers:\n  - id: 0190fe82-0000-7000-8000-0000000000f9\n    connector: {type: slack, secret: slack-secret-0123456}\n    actions: [{type: run-execution, step: ok}]\n`)).toThrow(
        /slack deliveries may be up to 5242880 bytes/,
      );
    } finally {
      project.remove();
    }
  });
});
