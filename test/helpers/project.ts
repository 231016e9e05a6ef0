import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectors } from '../../connectors/index.js';
import { parseConfig, type LoadedConfig } from '../../core/config/load-config.js';

export interface TempProject {
  readonly dir: string;
  /** Parses `configYaml` as if it were `<dir>/hooklaunch.yaml`. */
  load(configYaml: string, env?: NodeJS.ProcessEnv): LoadedConfig;
  write(name: string, content: string): string;
  remove(): void;
}

/** A throwaway folder holding valohai.yaml and any files a test step needs. */
export function tempProject(valohaiYaml: string, files: Record<string, string> = {}): TempProject {
  const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-test-'));
  const write = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  write('valohai.yaml', valohaiYaml);
  for (const [name, content] of Object.entries(files)) write(name, content);
  return {
    dir,
    load: (configYaml, env = {}) => parseConfig(join(dir, 'hooklaunch.yaml'), configYaml, env, connectors),
    write,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
