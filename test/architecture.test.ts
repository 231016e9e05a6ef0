/** Connectors import only the connector kit from core, never each other; core imports no connector but at the composition root. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

function relativeImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) =>
    relative(root, resolve(root, file, '..', (m[1] ?? m[2])!)),
  );
}

describe('architecture', () => {
  const connectorFiles = sourceFiles('connectors');

  it('finds the connectors and the core', () => {
    expect(connectorFiles.length).toBeGreaterThan(10);
    expect(sourceFiles('core').length).toBeGreaterThan(30);
  });

  it.each(connectorFiles.filter((f) => f !== 'connectors/index.ts'))('%s imports only its own folder and core/connector-kit', (file) => {
    const folder = file.split('/').slice(0, 2).join('/');
    for (const target of relativeImports(file)) {
      const allowed = target.startsWith(`${folder}/`) || target === 'core/connector-kit.js';
      expect(allowed, `${file} imports ${target}`).toBe(true);
    }
  });

  it('core imports connectors only from the composition root (the CLI)', () => {
    const offenders = sourceFiles('core').flatMap((file) =>
      relativeImports(file)
        .filter((target) => target.startsWith('connectors/'))
        .filter(() => file !== 'core/cli/main.ts')
        .map((target) => `${file} → ${target}`),
    );
    expect(offenders).toEqual([]);
  });
});
