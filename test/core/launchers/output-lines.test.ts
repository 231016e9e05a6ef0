import { describe, expect, it } from 'vitest';
import { createOutputLines } from '../../../core/launchers/local/output-lines.js';

describe('output lines', () => {
  it('puts a line written a byte at a time back together, and orders streams by when their lines ended', () => {
    const output = createOutputLines(1024);
    output.write('stdout', 'step 1\n', 1);
    for (const byte of 'warning: half') output.write('stderr', byte, 2);
    output.write('stdout', 'step 2\n', 3);
    for (const byte of ' a line\n') output.write('stderr', byte, 4);
    output.write('stdout', 'a\nb', 5);
    output.write('stdout', '\n', 6);
    expect(output.take()).toEqual([
      { stream: 'stdout', text: 'step 1\nstep 2\n', atMs: 1 },
      { stream: 'stderr', text: 'warning: half a line\n', atMs: 2 },
      { stream: 'stdout', text: 'a\nb\n', atMs: 5 },
    ]);
    expect(output.take()).toEqual([]);
  });

  it('keeps a partial line until it is old enough (or the end), then stores it without a newline', () => {
    const output = createOutputLines(1024);
    output.write('stdout', 'progress: ', 10);
    output.write('stdout', '..', 20);
    expect(output.take(9)).toEqual([]);
    expect(output.take(10)).toEqual([{ stream: 'stdout', text: 'progress: ..', atMs: 10 }]);
    output.write('stdout', '. done\n', 30);
    output.write('stderr', 'no newline at the end', 31);
    expect(output.take()).toEqual([
      { stream: 'stdout', text: '. done\n', atMs: 30 },
      { stream: 'stderr', text: 'no newline at the end', atMs: 31 },
    ]);
  });

  it('keeps the start of a line over the cap and counts the bytes left out, never cutting a character', () => {
    const output = createOutputLines(10);
    output.write('stdout', 'abcdefgh', 1);
    output.write('stdout', 'é€xyz\nnext\n', 2);
    // 8 bytes + "é" (2) = 10; "€xyz" (6 bytes) left out.
    expect(output.take()).toEqual([
      { stream: 'stdout', text: 'abcdefghé… (6 more bytes)\n', atMs: 1 },
      { stream: 'stdout', text: 'next\n', atMs: 2 },
    ]);
    output.write('stderr', `${'€'.repeat(4)}\n`, 3);
    expect(output.take()).toEqual([{ stream: 'stderr', text: '€€€… (3 more bytes)\n', atMs: 3 }]);
  });
});
