/**
 * The local runner hands an execution hooklaunch's environment minus the variables the config
 * reads, but HOOKLAUNCH_SECRET_KEY — read by hooklaunch itself, not through `${env:…}` — went
 * through: the key that opens every sealed trigger secret in the store reached the launched code
 * (run with whatever a webhook sent it), and its output (`runs RUN_ID`, the run page) whenever
 * that code printed its environment. Through the real commands: `serve`, a request, `runs RUN_ID`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { POSTGRES_SKIP, freshDatabase } from '../helpers/postgres.js';
import { tempProject, type TempProject } from '../helpers/project.js';
import { hooklaunch, serve, type Served } from './cli.js';

const ID = '0190fe82-0000-7000-8000-00000000e0e1';
const KEY = '5e'.repeat(32);
const TOKEN = 'env-dump-token-0123456789';

describe('a local execution', () => {
  let project: TempProject | undefined;
  let served: Served | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    project?.remove();
    await drop?.();
    drop = undefined;
  });

  it('does not get HOOKLAUNCH_SECRET_KEY, nor the variables the config reads', async () => {
    project = tempProject('- step: {name: dump, image: x, command: "env | sort; echo dumped"}\n');
    const config = project.write(
      'hooklaunch.yaml',
      `store: {url: sqlite:state.db}
launcher: {kind: local, grace: 1}
triggers:
  - {id: ${ID}, conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: "\${env:DUMP_TOKEN}"}], actions: [{type: run-execution, step: dump}]}
`,
    );
    const env = { HOOKLAUNCH_SECRET_KEY: KEY, DUMP_TOKEN: TOKEN };
    served = await serve(['-c', config, '-p', '0'], env);
    const sent = await fetch(`${served.url}/api/v0/launch/${ID}/`, { method: 'POST', headers: { 'x-token': TOKEN, 'content-type': 'application/json' }, body: '{}' });
    const runId = ((await sent.json()) as { run_id: string }).run_id;
    const shown = await hooklaunch(['runs', runId, '--follow', '-c', config], env);
    expect(shown.stdout).toContain('dumped');
    expect(shown.stdout).toContain('PATH=');
    expect(shown.stdout).not.toContain(KEY);
    expect(shown.stdout).not.toContain(TOKEN);
  }, 40_000);

  // node-postgres, as libpq, takes PGPASSWORD when store.url names no password: then it is the store's.
  it.skipIf(POSTGRES_SKIP)(`does not get PGPASSWORD when it is the PostgreSQL store's password${POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ''}`, async () => {
    const database = await freshDatabase();
    drop = database.drop;
    const url = new URL(database.url);
    const password = decodeURIComponent(url.password);
    expect(password).not.toBe('');
    url.password = '';
    project = tempProject('- step: {name: dump, image: x, command: "env | sort; echo dumped"}\n');
    const config = project.write(
      'hooklaunch.yaml',
      `store: {url: "${url}"}
launcher: {kind: local, grace: 1}
triggers:
  - {id: ${ID}, conditions: [{type: web-request-auth, auth_type: static_token, key: X-Token, secret: "\${env:DUMP_TOKEN}"}], actions: [{type: run-execution, step: dump}]}
`,
    );
    const env = { HOOKLAUNCH_SECRET_KEY: KEY, DUMP_TOKEN: TOKEN, PGPASSWORD: password };
    served = await serve(['-c', config, '-p', '0'], env);
    const sent = await fetch(`${served.url}/api/v0/launch/${ID}/`, { method: 'POST', headers: { 'x-token': TOKEN, 'content-type': 'application/json' }, body: '{}' });
    const runId = ((await sent.json()) as { run_id: string }).run_id;
    const shown = await hooklaunch(['runs', runId, '--follow', '-c', config], env);
    expect(shown.stdout).toContain('dumped');
    expect(shown.stdout).not.toContain('PGPASSWORD=');
    expect(shown.stdout).not.toContain(KEY);
  }, 40_000);
});
