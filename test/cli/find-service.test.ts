/**
 * #15 point 2, through the real command: `serve --host/--port` says where it really listens and
 * leaves a run file by which `check` and `send` find it; `logs` reads the store without the
 * triggers' secrets; triggers are named by title or id prefix; `send` without a body sends one
 * that passes the trigger's filters and says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { hooklaunch, serve, type Served } from './cli.js';

const VALOHAI = '- step: {name: count, image: x, command: "true", parameters: [{name: n, type: integer}]}\n';
const CSV = '0190fe82-0000-7000-8000-00000000c5b1';
const HELLO = '0190fe82-0000-7000-8000-00000000d7e2';
const CONFIG = `store:
  url: sqlite:state.db
triggers:
  - id: ${CSV}
    title: Nightly CSV
    conditions:
      - {type: web-request-auth, auth_type: hmac, key: X-Signature, prefix: "sha256=", secret: "\${env:CLI_TEST_SECRET}", message: "{timestamp}.{body}"}
      - {type: timestamp, key: X-Timestamp}
      - {type: payload-filter, lookup: data.kind, operation: equals, value: csv}
    actions: [{type: run-execution, step: count, parameters: {n: "{payload.rows}"}}]
  - id: ${HELLO}
    title: Greeting
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: "\${env:CLI_TEST_TOKEN}"}]
    actions: [{type: run-execution, step: count, parameters: {n: 1}}]
`;
const SECRETS = { CLI_TEST_SECRET: 'cli-test-secret-0123456789', CLI_TEST_TOKEN: 'cli-test-token' };

describe('the CLI finds the service serve started', () => {
  let project: TempProject | undefined;
  let served: Served | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    project?.remove();
  });

  it('serve --host/--port prints where it listens and writes a run file; check, send and replay use it; replay and logs need no trigger secret; the run file goes on shutdown', async () => {
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', `server: {admin_token: cli-find-admin-token-0123}\n${CONFIG}`);
    served = await serve(['-c', config, '--host', '127.0.0.1', '--port', '0'], SECRETS);
    const port = Number(new URL(served.url).port);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(8080);
    // The trigger lines carry the real port, not server.port's default.
    expect(served.stderr()).toContain(`${served.url}/api/v0/launch/${CSV}/`);
    const runFile = join(project.dir, 'state.db.run.json');
    expect(JSON.parse(readFileSync(runFile, 'utf8'))).toMatchObject({ pid: served.pid, url: served.url, config });

    const check = await hooklaunch(['check', '-c', config], SECRETS);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`service: ${served.url} (the running hooklaunch (pid ${served.pid}))`);
    expect(check.stdout).toContain(`${served.url}/api/v0/launch/${HELLO}/`);

    // By title, no --url, no --data: a body that passes the filter and holds the field the action takes.
    const byTitle = await hooklaunch(['send', 'Nightly CSV', '-c', config], SECRETS);
    expect(byTitle.stderr).toContain('body: a body built to pass its filters (data.kind equals "csv") and with {payload.rows}');
    expect(byTitle.stderr).toContain(`to: ${served.url} (the running hooklaunch (pid ${served.pid}))`);
    expect(byTitle.stdout).toMatch(/^200 OK {2}request [0-9a-f-]{36}\n\{"run_id":"[0-9a-f-]{36}"\}\n$/);
    expect(byTitle.code).toBe(0);

    // By a prefix only one trigger has; a prefix both share is refused with both named.
    const byPrefix = await hooklaunch(['send', HELLO.slice(0, 33), '-c', config], SECRETS);
    expect(byPrefix).toMatchObject({ code: 0, stdout: expect.stringMatching(/^200 OK/) });
    const ambiguous = await hooklaunch(['send', '0190fe82-0000', '-c', config], SECRETS);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toBe(`hooklaunch: "0190fe82-0000" names 2 triggers: ${CSV} (Nightly CSV), ${HELLO} (Greeting); give more of the id\n`);

    // No trigger secret in the environment: replay needs only the admin token of the file (the service has the secrets) ...
    const requestId = /request ([0-9a-f-]{36})/.exec(byTitle.stdout)![1]!;
    const replayed = await hooklaunch(['replay', requestId, '-c', config]);
    expect(replayed.stderr).toBe('');
    expect(replayed.stdout).toMatch(new RegExp(`^${requestId}: replayed as [0-9a-f-]{36}: accepted, run [0-9a-f-]{36}\n$`));
    // ... and logs reads the store all the same, and takes a title for --trigger.
    const logs = await hooklaunch(['logs', '-c', config, '--trigger', 'Nightly CSV']);
    expect(logs.stderr).toBe('');
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toHaveLength(2);
    expect(logs.stdout).toMatch(new RegExp(`^\\S+  ${CSV}  POST from 127\\.0\\.0\\.1 .* accepted  run `));
    const runs = await hooklaunch(['runs', '-c', config]);
    expect(runs.code).toBe(0);
    expect(runs.stdout.trim().split('\n')).toHaveLength(3);

    expect(await served.stop()).toBe(0);
    served = undefined;
    expect(existsSync(runFile)).toBe(false);
  });

  it('without a running instance, send goes to server.public_url and says so', async () => {
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', `server: {public_url: "http://127.0.0.1:9"}\n${CONFIG}`);
    const sent = await hooklaunch(['send', 'Greeting', '-c', config, '--print-curl'], SECRETS);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(`'http://127.0.0.1:9/api/v0/launch/${HELLO}/'`);
    expect(sent.stderr).toContain('body: {} (the trigger has no payload filters or payload fields)');
  });
});
