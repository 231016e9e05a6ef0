/**
 * The bodies of accepted runs larger than PAYLOAD_LOG_MIN_BYTES, kept beside the SQLite file in
 * append-only segment files (`<database>.payloads/0000000001.seg`, ...) instead of in a BLOB.
 *
 * Why (issue #14, measured): a 7.7 KB GitHub push stored as a BLOB spans overflow pages, each
 * written as a WAL frame of its own and copied again into the database file by every checkpoint;
 * that was ~11 µs of the ~28 µs a generic accept spent in SQLite, and most of the bytes its
 * fdatasync flushed. Appended here, a commit's payloads are one `writev`, written once. Small
 * bodies (Slack's form posts) fit in their row without overflow and stay there.
 *
 * Durability: the store answers a request only after the WAL *and* this log have been flushed
 * (sqlite-store.ts), so an acknowledged payload is on disk. A power loss can still leave rows in
 * the WAL whose payload bytes never reached the disk (the kernel flushes the two files in no
 * particular order); those requests were never acknowledged, and the store finds and un-launches
 * them on its next start (`durableThrough` bounds the rows it must check).
 *
 * Each process that appends starts a new segment, so nothing is ever appended after a tail a
 * crash may have torn. Segments are deleted whole, once retention has purged every run in them.
 */
import { accessSync, closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync, writevSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { nodeFdatasync, STAT_EVERY_MS, stillTheFile, syncDir } from './durable-file.js';
import { flushRounds } from './flush-rounds.js';

/** Where one payload lives: `length` bytes at `offset` of segment `segment`, with their CRC-32. */
export interface PayloadRef {
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

/** A point in the log: everything before it (lower segment, or same segment and lower offset). */
export interface LogPosition {
  readonly segment: number;
  readonly offset: number;
}

/** Bodies at least this large go to the log; smaller ones fit in their row without overflow pages. */
export const PAYLOAD_LOG_MIN_BYTES = 2048;
/** A segment takes appends until it holds this much; retention frees space a segment at a time. */
export const SEGMENT_BYTES = 64 * 1024 * 1024;

export interface PayloadLog {
  /** Appends to the current segment (the kernel's page cache; not yet durable). */
  append(payloads: readonly Buffer[]): PayloadRef[];
  /** Resolves after a flush that began after this call: everything appended before it is durable. */
  durable(): Promise<void>;
  /** Everything before this position was flushed by a completed `durable`. */
  durableThrough(): LogPosition;
  /** The payload's bytes; throws, naming the file, when they are missing or damaged. */
  read(ref: PayloadRef): Buffer;
  /** Whether the payload's bytes are all there and match their CRC. */
  intact(ref: PayloadRef): boolean;
  /**
   * Deletes the segment files that `inUse` says no run points into, never the one appends go to.
   * Each segment on its own: a run pending for days in an old segment keeps that one, not every later one.
   */
  dropUnused(inUse: (segment: number) => boolean): number;
  /** The segment appends go to next. */
  currentSegment(): number;
  /**
   * Creates the folder if need be and checks that it takes appends, throwing (naming it) if not.
   * The serving process calls it when it takes over: a folder it cannot write then fails the
   * start, not every later commit that holds a large body (and the small requests grouped with it).
   */
  ready(): void;
  /**
   * Flushes the existing segments numbered `from` and up. A process that died before its flush
   * (SIGKILL) left their bytes in the page cache only: checked intact, they are made durable
   * before anything is built on them.
   */
  settle(from: number): void;
  /** Waits for the flush under way, then closes the files. */
  close(): Promise<void>;
}

export interface PayloadLogOptions {
  /** The flush; tests inject one to hold it. */
  readonly fdatasync?: ((fd: number) => Promise<void>) | undefined;
  readonly segmentBytes?: number | undefined;
  /** How often a flush also checks that the segments it flushes are still the files at their names. */
  readonly statEveryMs?: number | undefined;
}


const SEGMENT_NAME = /^(\d{10})\.seg$/;
const segmentName = (segment: number): string => `${String(segment).padStart(10, '0')}.seg`;

/** Compares two positions: negative when `a` is before `b`. */
export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset - b.offset;
}

/** The log of the database at `databasePath` (created on the first append). */
export function openPayloadLog(databasePath: string, options: PayloadLogOptions = {}): PayloadLog {
  const dir = `${databasePath}.payloads`;
  const flush = options.fdatasync ?? nodeFdatasync;
  const segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
  const existing = listSegments(dir);
  let segment = (existing.at(-1) ?? 0) + 1;
  let fd: number | undefined;
  let offset = 0;
  /** Segments closed to appends whose last bytes no flush has covered yet. */
  let sealed: number[] = [];
  let dirUnsynced = false;
  let appendedSinceFlushStarted = false;
  let durablePosition: LogPosition = { segment, offset: 0 };
  /** The path and inode of each open segment: what a flush checks is still there. */
  const opened = new Map<number, { path: string; ino: number }>();
  let lastStatMs = -Infinity;

  const ensureDir = (): void => {
    // mkdirSync names the first folder it made, if any: the new name is made durable.
    if (mkdirSync(dir, { recursive: true }) !== undefined) syncDir(dirname(dir));
  };

  const openSegment = (): void => {
    ensureDir();
    const path = join(dir, segmentName(segment));
    fd = openSync(path, 'wx');
    opened.set(fd, { path, ino: fstatSync(fd).ino });
    offset = 0;
    dirUnsynced = true;
  };

  const round = async (): Promise<void> => {
    appendedSinceFlushStarted = false;
    const covers: LogPosition = { segment, offset };
    const files = [...sealed, ...(fd === undefined ? [] : [fd])];
    const closing = sealed;
    sealed = [];
    const withDir = dirUnsynced;
    dirUnsynced = false;
    // Appends go on through the descriptor whatever happens to the name: should the segment be
    // deleted or replaced (a clean-up script, `rm` of the folder), they would be flushed and
    // answered, then gone at the next start. Then nothing more is acknowledged, as for the WAL.
    const now = performance.now();
    const checked = now - lastStatMs >= (options.statEveryMs ?? STAT_EVERY_MS) ? files : [];
    if (checked.length > 0) lastStatMs = now;
    try {
      const stillThere = checked.map((file) => {
        const { path, ino } = opened.get(file)!;
        return stillTheFile(path, ino, 'the payload log segment');
      });
      await Promise.all([...files.map((file) => flush(file)), ...stillThere]);
      // A file whose name is not on disk is lost with its data.
      if (withDir) syncDir(dir);
    } finally {
      for (const file of closing) {
        opened.delete(file);
        closeSync(file);
      }
    }
    if (comparePositions(covers, durablePosition) > 0) durablePosition = covers;
  };

  const failed = (cause: unknown): Error => new Error('the store could not flush its payload log; restart hooklaunch', { cause });
  const rounds = flushRounds(round, failed);

  return {
    append(payloads) {
      if (rounds.failure !== undefined) throw failed(rounds.failure);
      if (fd === undefined) openSegment();
      else if (offset >= segmentBytes) {
        sealed.push(fd);
        segment++;
        openSegment();
      }
      const refs: PayloadRef[] = [];
      let at = offset;
      for (const payload of payloads) {
        refs.push({ segment, offset: at, length: payload.length, crc: crc32(payload) });
        at += payload.length;
      }
      // writev takes at most IOV_MAX (1024 on Linux) buffers per call.
      for (let i = 0; i < payloads.length; i += 1024) {
        const chunk = payloads.slice(i, i + 1024);
        const want = chunk.reduce((n, p) => n + p.length, 0);
        const wrote = writevSync(fd!, chunk as Buffer[]);
        offset += wrote;
        // A short write (a full disk): these refs are never committed, and the next append starts a new segment.
        if (wrote !== want) {
          offset = segmentBytes;
          throw new Error(`could not append to the payload log ${join(dir, segmentName(segment))}: wrote ${wrote} of ${want} bytes (is the disk full?)`);
        }
      }
      appendedSinceFlushStarted = true;
      return refs;
    },
    durable() {
      // Nothing written since the running flush began (and none failed): it covers everything.
      const covered = rounds.failure === undefined && !appendedSinceFlushStarted && sealed.length === 0 && !dirUnsynced;
      return covered ? (rounds.running ?? Promise.resolve()) : rounds.after();
    },
    durableThrough: () => durablePosition,
    read(ref) {
      const bytes = readRef(dir, ref);
      if (bytes === undefined) throw new Error(`the payload at byte ${ref.offset} of ${join(dir, segmentName(ref.segment))} (${ref.length} bytes) is missing or damaged`);
      return bytes;
    },
    intact: (ref) => readRef(dir, ref) !== undefined,
    dropUnused(inUse) {
      let dropped = 0;
      for (const n of listSegments(dir)) {
        if (n >= segment) break;
        if (inUse(n)) continue;
        unlinkSync(join(dir, segmentName(n)));
        dropped++;
      }
      return dropped;
    },
    currentSegment: () => segment,
    ready() {
      try {
        ensureDir();
        accessSync(dir, constants.W_OK);
      } catch (error) {
        throw new Error(`the payload log's folder ${dir} cannot take appends (bodies of ${PAYLOAD_LOG_MIN_BYTES} bytes and more are kept there): ${(error as Error).message}`, { cause: error });
      }
    },
    settle(from) {
      let settled = 0;
      for (const n of listSegments(dir)) {
        if (n < from || n >= segment) continue;
        const file = openSync(join(dir, segmentName(n)), 'r+');
        try {
          fsyncSync(file);
        } finally {
          closeSync(file);
        }
        settled++;
      }
      // The killed process may have created a segment without syncing its name: a file whose name is not on disk is lost with its data.
      if (settled > 0) syncDir(dir);
    },
    async close() {
      await rounds.settled();
      for (const file of sealed) closeSync(file);
      sealed = [];
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      opened.clear();
    },
  };
}

/** The payload's bytes when all there and matching their CRC. */
function readRef(dir: string, ref: PayloadRef): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(join(dir, segmentName(ref.segment)), 'r');
  } catch {
    return undefined;
  }
  try {
    const bytes = Buffer.allocUnsafe(ref.length);
    let read = 0;
    while (read < ref.length) {
      const n = readSync(fd, bytes, read, ref.length - read, ref.offset + read);
      if (n === 0) return undefined;
      read += n;
    }
    return crc32(bytes) === ref.crc ? bytes : undefined;
  } finally {
    closeSync(fd);
  }
}

/** The segment numbers in `dir`, ascending. */
function listSegments(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => SEGMENT_NAME.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
