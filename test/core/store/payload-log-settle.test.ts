/**
 * What `settle` makes durable: the segments a killed process appended to but never flushed, the
 * bytes and their names. The fsyncs are watched through a pass-through mock of node:fs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openPayloadLog } from '../../../core/store/sqlite/payload-log.js';

const synced: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fsyncSync = (fd: number): void => {
    synced.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    fs.fsyncSync(fd);
  };
  return { ...fs, default: { ...fs, fsyncSync }, fsyncSync };
});

describe('payload log settle', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklaunch-settle-'));
    synced.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.runIf(process.platform === 'linux')('syncs the folder too, so a killed process\'s segment keeps its name through a power loss', async () => {
    const path = join(dir, 'state.db');
    // A process that appended and was SIGKILLed before its first flush: the segment's bytes and
    // its name in the folder are in the page cache only.
    const killed = openPayloadLog(path, { fdatasync: () => new Promise<void>(() => undefined) });
    killed.append([Buffer.alloc(4096, 1)]);
    await killed.close(); // closes its descriptor; a close flushes nothing
    const segment = join(`${path}.payloads`, '0000000001.seg');
    synced.length = 0;

    const next = openPayloadLog(path);
    next.settle(1);
    // Past settle, the next process notes these rows as durable and no restart checks them again:
    // a file whose name is not on disk is lost with its data.
    expect(synced).toContain(segment);
    expect(synced.indexOf(`${path}.payloads`)).toBeGreaterThan(synced.indexOf(segment));
    await next.close();
  });
});
