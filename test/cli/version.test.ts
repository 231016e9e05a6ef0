/** `hooklaunch --version` names the version of the package it runs from (what a bug report needs). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { hooklaunch } from './cli.js';

it('--version prints package.json\'s version and exits 0', async () => {
  const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
  expect(await hooklaunch(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
});
