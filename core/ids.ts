import { createHash, randomBytes } from 'node:crypto';

// One randomBytes call per 256 ids: a call per id costs more than the rest of the id.
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let poolOffset = 0;
/** Two hex digits per byte value: an id is written from these without a Buffer copy and five slices per id. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * UUIDv7 (RFC 9562): time-ordered, 74 random bits. Hand-written because node:crypto only has v4
 * and a v7 is a dozen lines; time order keeps SQLite index inserts at the tail.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    pool = randomBytes(10 * POOL_IDS);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 10;
  // 48-bit milliseconds, big-endian: the high 16 bits and the low 32 (bitwise ops are 32-bit).
  const high = Math.floor(nowMs / 0x1_0000_0000);
  const low = nowMs >>> 0;
  return (
    HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + HEX[low >>> 24]! + HEX[(low >>> 16) & 0xff]! + '-' +
    HEX[(low >>> 8) & 0xff]! + HEX[low & 0xff]! + '-' +
    HEX[0x70 | (pool[r]! & 0x0f)]! + HEX[pool[r + 1]!]! + '-' +
    HEX[0x80 | (pool[r + 2]! & 0x3f)]! + HEX[pool[r + 3]!]! + '-' +
    HEX[pool[r + 4]!]! + HEX[pool[r + 5]!]! + HEX[pool[r + 6]!]! + HEX[pool[r + 7]!]! + HEX[pool[r + 8]!]! + HEX[pool[r + 9]!]!
  );
}

/**
 * A UUID (version 8, RFC 9562) derived from a name: the same job always maps to the same
 * execution id, which is what makes a re-launch after a crash idempotent.
 */
export function uuidFromName(name: string): string {
  const bytes = createHash('sha256').update(name).digest().subarray(0, 16);
  bytes[6] = 0x80 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
