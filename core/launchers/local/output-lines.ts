/**
 * Turns what a process writes, in whatever pieces the pipes deliver, back into its lines: one
 * partial line per stream until its newline, so a traceback written a byte at a time is stored as
 * the lines it printed, and stdout and stderr interleave by line in the order the lines ended.
 * A line longer than `maxLineBytes` keeps its start and says how much was left out instead of
 * becoming dozens of entries.
 */
import type { LogChunk } from '../../store/store.js';

type Stream = 'stdout' | 'stderr';

export interface OutputLines {
  /** Text read from one stream (decoded; a multi-byte character is never split by the caller). */
  write(stream: Stream, text: string, atMs: number): void;
  /**
   * The chunks ready to store, in order: complete lines (consecutive lines of one stream batched),
   * then partial lines that have waited since `partialBeforeMs` or earlier (all of them when
   * undefined, at the process's end). A stored partial has no newline; its continuation comes later.
   */
  take(partialBeforeMs?: number): LogChunk[];
}

interface Partial {
  text: string;
  bytes: number;
  /** Bytes of this line beyond the cap, dropped. */
  more: number;
  sinceMs: number | undefined;
}

export function createOutputLines(maxLineBytes: number): OutputLines {
  const partials: Record<Stream, Partial> = { stdout: empty(), stderr: empty() };
  let ready: LogChunk[] = [];

  const append = (partial: Partial, piece: string, atMs: number): void => {
    if (piece === '') return;
    partial.sinceMs ??= atMs;
    const bytes = Buffer.byteLength(piece);
    if (partial.bytes + bytes <= maxLineBytes) {
      partial.text += piece;
      partial.bytes += bytes;
      return;
    }
    const kept = prefixWithin(piece, maxLineBytes - partial.bytes);
    const keptBytes = Buffer.byteLength(kept);
    partial.text += kept;
    partial.bytes += keptBytes;
    partial.more += bytes - keptBytes;
  };

  const emit = (stream: Stream, partial: Partial, newline: boolean): void => {
    const text = `${partial.text}${partial.more > 0 ? `… (${partial.more} more bytes)` : ''}${newline ? '\n' : ''}`;
    const atMs = partial.sinceMs ?? 0;
    Object.assign(partial, empty());
    const last = ready.at(-1);
    // Whole lines of one stream in a row share a row in the store, up to the cap.
    if (newline && last && last.stream === stream && last.text.endsWith('\n') && last.text.length + text.length <= maxLineBytes /* characters, near enough for a batch bound */) {
      ready[ready.length - 1] = { ...last, text: last.text + text };
    } else {
      ready.push({ stream, text, atMs });
    }
  };

  return {
    write(stream, text, atMs) {
      const partial = partials[stream];
      const pieces = text.split('\n');
      for (let i = 0; i < pieces.length - 1; i++) {
        append(partial, pieces[i]!, atMs);
        partial.sinceMs ??= atMs;
        emit(stream, partial, true);
      }
      append(partial, pieces.at(-1)!, atMs);
    },
    take(partialBeforeMs) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const partial = partials[stream];
        if (partial.sinceMs !== undefined && (partialBeforeMs === undefined || partial.sinceMs <= partialBeforeMs)) emit(stream, partial, false);
      }
      const taken = ready;
      ready = [];
      return taken;
    },
  };
}

function empty(): Partial {
  return { text: '', bytes: 0, more: 0, sinceMs: undefined };
}

/** The longest start of `text` within `maxBytes` UTF-8 bytes, never cutting a character in two. */
function prefixWithin(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let cut = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character the cap falls in.
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8');
}
