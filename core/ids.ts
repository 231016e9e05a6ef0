import { createHash, randomBytes } from 'node:crypto';

// One randomBytes call per 256 ids: a call per id costs more than the rest of the id.
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomChunk(): Buffer {
  if (poolOffset >= pool.length) {
    pool = randomBytes(16 * POOL_IDS);
    poolOffset = 0;
  }
  const chunk = Buffer.from(pool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return chunk;
}

/**
 * UUIDv7 (RFC 9562): time-ordered, 74 random bits. Hand-written because node:crypto only has v4
 * and a v7 is a dozen lines; time order keeps SQLite index inserts at the tail.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const bytes = randomChunk();
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
