/**
 * #15 point 6: `npm start` serves the page behind an admin token printed at start-up, generated
 * once and kept in the store when the config sets none (the quickstart's `${env:…:-}` is empty):
 * the page is reachable on a fresh machine, and never open to whoever finds the port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { serve, type Served } from './cli.js';

// The quickstart's own server section (hooklaunch.yaml at the root of the repository).
const CONFIG = `server:
  admin_token: \${env:HOOKLAUNCH_ADMIN_TOKEN:-}
store: {url: "sqlite:state.db"}
triggers: []
`;
const TOKEN_LINE = /^admin token \(generated once, kept in sqlite:\S+\): ([0-9a-f]{64})\n {2}log in at (http:\S+)\/ui\/ with it; to set your own: HOOKLAUNCH_ADMIN_TOKEN=/m;

async function status(url: string, token?: string): Promise<number> {
  return (await fetch(`${url}/api/v0/logs/`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })).status;
}

describe('serve --generated-admin-token (npm start)', () => {
  let project: TempProject | undefined;
  let served: Served | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    project?.remove();
  });

  it('is what npm start runs', () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } };
    expect(manifest.scripts.start).toMatch(/ serve --config hooklaunch\.yaml --generated-admin-token$/);
    expect(readFileSync(join(import.meta.dirname, '../../hooklaunch.yaml'), 'utf8')).toContain('admin_token: ${env:HOOKLAUNCH_ADMIN_TOKEN:-}');
  });

  it('prints a token generated once and kept; the admin API takes it and nothing else; a configured token wins', async () => {
    project = tempProject('[]\n');
    const config = project.write('hooklaunch.yaml', CONFIG);
    served = await serve(['-c', config, '--port', '0', '--generated-admin-token']);
    const first = TOKEN_LINE.exec(served.stderr());
    expect(first, served.stderr()).not.toBeNull();
    expect(first![2]).toBe(served.url);
    expect(await status(served.url)).toBe(401);
    expect(await status(served.url, first![1])).toBe(200);
    await served.stop();

    // Kept in the store: the same token after a restart.
    served = await serve(['-c', config, '--port', '0', '--generated-admin-token']);
    expect(TOKEN_LINE.exec(served.stderr())?.[1]).toBe(first![1]);
    await served.stop();

    // One set by the user: no generated token, and the stored one no longer opens anything.
    served = await serve(['-c', config, '--port', '0', '--generated-admin-token'], { HOOKLAUNCH_ADMIN_TOKEN: 'my-own-admin-token-0123' });
    expect(served.stderr()).not.toContain('admin token (generated');
    expect(await status(served.url, 'my-own-admin-token-0123')).toBe(200);
    expect(await status(served.url, first![1])).toBe(401);
    await served.stop();

    // Without the flag nothing is generated: the admin API stays off as configured.
    served = await serve(['-c', config, '--port', '0']);
    expect(served.stderr()).not.toContain('admin token (generated');
    expect(await status(served.url, first![1])).not.toBe(200);
  }, 90_000);
});
