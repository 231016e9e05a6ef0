/** Layering rules of STYLE.md: connectors import only the connector kit, never each other; core imports no connector but at the composition root; every connector folder has the same shape and is registered under its folder name; no side-effect imports. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectors } from '../connectors/index.js';

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

  // STYLE.md: a new provider is one folder and one registry line, every folder shaped alike.
  const connectorFolders = readdirSync(join(root, 'connectors')).filter((name) => statSync(join(root, 'connectors', name)).isDirectory());
  const REQUIRED = ['filters.ts', 'index.ts', 'params.ts', 'parse.ts', 'payload.ts', 'respond.ts', 'verify.ts'];

  it.each(connectorFolders)('connectors/%s has the files every connector has', (folder) => {
    const files = readdirSync(join(root, 'connectors', folder));
    expect(REQUIRED.filter((file) => !files.includes(file)), `connectors/${folder} lacks`).toEqual([]);
  });

  it('each registered connector is keyed by its id, which is its folder name, and every folder is registered', () => {
    for (const [key, connector] of connectors) {
      expect(connector.id, `registry key ${key}`).toBe(key);
      expect(connectorFolders, `connector ${key} has no folder of that name`).toContain(key);
    }
    expect([...connectors.keys()].sort()).toEqual([...connectorFolders].sort());
  });

  it('no module is imported for its side effects alone (an import names what it uses)', () => {
    const offenders = [...sourceFiles('core'), ...connectorFiles].filter((file) => /^import\s+['"][^'"]+['"]/m.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  // The layers of core/, lowest first: a module imports only from layers below its own (or its own
  // folder). A new upward import fails here; move the file to where it belongs instead.
  const LAYERS: readonly (readonly string[])[] = [
    ['clock', 'ids', 'reject', 'yaml'],
    ['request', 'valohai-yaml'],
    ['connector', 'store'],
    ['codegen', 'config', 'launch'],
    ['conditions', 'metrics', 'trigger-log'],
    ['payloads', 'secrets'],
    ['launchers', 'triggers'],
    ['connector-kit', 'notify'],
    ['http'],
    ['ui'],
    ['service'],
    ['cli'],
  ];
  const layerOf = (file: string): string => {
    const parts = file.split('/');
    return parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.(ts|js)$/, '');
  };
  const tier = new Map(LAYERS.flatMap((names, i) => names.map((name) => [name, i] as const)));
  const upward = sourceFiles('core').flatMap((file) =>
    relativeImports(file)
      .filter((target) => target.startsWith('core/') && layerOf(target) !== layerOf(file))
      .filter((target) => (tier.get(layerOf(target)) ?? Infinity) >= (tier.get(layerOf(file)) ?? -1))
      .map((target) => `${file} → ${layerOf(target)}`),
  );

  it('every folder of core/ has a declared layer', () => {
    const undeclared = [...new Set(sourceFiles('core').map(layerOf))].filter((name) => !tier.has(name));
    expect(undeclared).toEqual([]);
  });

  it('core/ imports only point down its layers', () => {
    expect([...new Set(upward)]).toEqual([]);
  });
});

