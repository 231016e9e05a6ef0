import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../core/ids.js';

describe('uuidv7', () => {
  // RFC 9562 §5.7: 48-bit big-endian Unix ms, version 7, variant 10, the rest random.
  it('lays out the time, version and variant as RFC 9562 says', () => {
    for (const ms of [0, 1, 0xff, 0x1_0000_0000, 0x0123_4567_89ab, 0xffff_ffff_ffff, Date.UTC(2026, 10, 28)]) {
      const id = uuidv7(ms);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(ms);
    }
  });

  it('sorts by time and does not repeat', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 5000 }, () => uuidv7(42))).size).toBe(5000);
  });
});
