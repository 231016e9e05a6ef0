import { describe, expect, it } from 'vitest';
import type { LogChunk } from '../../../core/store/store.js';
import { createOutputRenderer, renderExecutionOutput } from '../../../core/trigger-log/execution-output.js';

const chunk = (stream: LogChunk['stream'], text: string): LogChunk => ({ stream, text, atMs: 0 });

describe('execution output', () => {
  it('marks each stderr and hooklaunch line once, however many lines a chunk holds', () => {
    expect(renderExecutionOutput([chunk('system', '$ go\n'), chunk('stdout', 'a\nb\n'), chunk('stderr', 'Traceback:\n  ^\n'), chunk('stdout', 'c\n')])).toBe(
      '[hooklaunch] $ go\na\nb\n[stderr] Traceback:\n[stderr]   ^\nc\n',
    );
  });

  it('continues a line stored in pieces (as logs stored before lines were reassembled are), marked once', () => {
    const pieces = [...'  ^^^\n'].map((c) => chunk('stderr', c));
    expect(renderExecutionOutput([chunk('stderr', 'Error'), chunk('stderr', ': x\n'), ...pieces])).toBe('[stderr] Error: x\n[stderr]   ^^^\n');
  });

  it("ends an open line where another stream's line comes, and closes the last one", () => {
    expect(renderExecutionOutput([chunk('stdout', 'loading'), chunk('stderr', 'warn\n'), chunk('stdout', '... ok'), chunk('stdout', '!')])).toBe(
      'loading\n[stderr] warn\n... ok!\n',
    );
  });

  it('renders a followed log in parts exactly as in one go', () => {
    const chunks = [chunk('stdout', 'a'), chunk('stdout', 'b\nc'), chunk('stderr', 'd\n'), chunk('stdout', 'e')];
    const renderer = createOutputRenderer();
    const parts = chunks.map((c) => renderer.render([c])).join('') + renderer.end();
    expect(parts).toBe(renderExecutionOutput(chunks));
    expect(parts).toBe('ab\nc\n[stderr] d\ne\n');
  });
});
