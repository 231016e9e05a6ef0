/**
 * An execution's output as text, the one rendering `hooklaunch runs`, the web page and the run API
 * all show: stdout as written, each stderr line marked `[stderr] ` and each line hooklaunch added
 * marked `[hooklaunch] `, once per line whatever pieces the line was stored in.
 */
import type { LogChunk } from '../store/store.js';

const PREFIX: Record<LogChunk['stream'], string> = { stdout: '', stderr: '[stderr] ', system: '[hooklaunch] ' };

export interface OutputRenderer {
  /** The text for these chunks, continuing from the chunks rendered before (following a log). */
  render(chunks: readonly LogChunk[]): string;
  /** Closes a line left open by a chunk without a newline. */
  end(): string;
}

export function createOutputRenderer(): OutputRenderer {
  // The stream whose line is open: its last chunk had no newline, so its next chunk continues it.
  let open: LogChunk['stream'] | undefined;
  return {
    render(chunks) {
      let out = '';
      for (const { stream, text } of chunks) {
        const lines = text.split('\n');
        lines.forEach((line, i) => {
          const last = i === lines.length - 1;
          if (last && line === '') {
            if (i > 0) open = undefined;
            return;
          }
          const continues = i === 0 && open === stream;
          // Another stream's line interrupts an open one: the open line ends where it was cut.
          if (i === 0 && open !== undefined && !continues) out += '\n';
          out += `${continues ? '' : PREFIX[stream]}${line}${last ? '' : '\n'}`;
          open = last ? stream : undefined;
        });
      }
      return out;
    },
    end() {
      const closing = open === undefined ? '' : '\n';
      open = undefined;
      return closing;
    },
  };
}

export function renderExecutionOutput(chunks: readonly LogChunk[]): string {
  const renderer = createOutputRenderer();
  return renderer.render(chunks) + renderer.end();
}
