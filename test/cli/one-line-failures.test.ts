/**
 * #15 point 3, through the real command: a failure is one line saying what to do, exit 2 for a
 * usage or configuration mistake and 1 for the rest, never a stack trace unless --debug asks.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { hooklaunch, serve, type Served } from './cli.js';

const VALOHAI = '- step: {name: s, image: x, command: "true"}\n';
const TRIGGER = '0190fe82-0000-7000-8000-00000000f001';
const config = (project: TempProject, server: string): string =>
  project.write('hooklaunch.yaml', `server: {${server}}\nstore: {url: "sqlite:state.db"}\ntriggers:\n  - {id: ${TRIGGER}, title: Open, actions: [{type: run-execution, step: s}]}\n`);

/** A port something else holds, and a function to let it go. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

const oneLine = (text: string): void => {
  expect(text.endsWith('\n')).toBe(true);
  expect(text.trimEnd().split('\n')).toHaveLength(1);
  expect(text).not.toMatch(/^\s+at /m);
};

describe('CLI failures', () => {
  let project: TempProject | undefined;
  let served: Served | undefined;
  let holder: Server | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    holder?.close();
    holder = undefined;
    project?.remove();
  });

  it('a service that does not answer: names the URL and where it came from, exit 1; --debug adds the stack', async () => {
    project = tempProject(VALOHAI);
    const closed = await occupiedPort();
    closed.server.close();
    const file = config(project, `public_url: "http://127.0.0.1:${closed.port}"`);
    const sent = await hooklaunch(['send', 'Open', '-c', file]);
    expect(sent.code).toBe(1);
    const failure = sent.stderr.split('\n').filter((line) => line.startsWith('hooklaunch:')).join('\n');
    expect(failure).toBe(`hooklaunch: no hooklaunch answering at http://127.0.0.1:${closed.port} (ECONNREFUSED), taken from server.public_url; no running hooklaunch found; is \`hooklaunch serve\` running? (or pass --url)`);
    expect(sent.stderr).not.toMatch(/^\s+at /m);
    expect(sent.stderr).not.toContain('fetch failed');
    const debugged = await hooklaunch(['send', 'Open', '-c', file, '--debug']);
    expect(debugged.code).toBe(1);
    expect(debugged.stderr).toMatch(/\n {4}at fetchService .*\ncaused by: TypeError: fetch failed\n/s);
  });

  it('a port in use: names it and says how to pick another, exit 1', async () => {
    project = tempProject(VALOHAI);
    const busy = await occupiedPort();
    holder = busy.server;
    const started = await hooklaunch(['serve', '-c', config(project, `port: ${busy.port}`)]);
    expect(started.code).toBe(1);
    oneLine(started.stderr);
    expect(started.stderr).toBe(
      `hooklaunch: cannot listen on 127.0.0.1:${busy.port}: port ${busy.port} is in use (another hooklaunch, or another program); pick another with \`hooklaunch serve --port N\` or server.port (0: any free port), or stop what holds it\n`,
    );
  });

  it('a store another instance serves: names its pid and the lock, exit 1', async () => {
    project = tempProject(VALOHAI);
    const file = config(project, 'port: 0');
    served = await serve(['-c', file]);
    const second = await hooklaunch(['serve', '-c', file]);
    expect(second.code).toBe(1);
    oneLine(second.stderr);
    expect(second.stderr).toBe(`hooklaunch: another hooklaunch (pid ${served.pid}) is serving this store; stop it first, or remove ${project.dir}/state.db.serve.lock if that pid is not hooklaunch\n`);
  });

  it('usage mistakes exit 2: a bad option value, an unknown command, an unknown trigger', async () => {
    const badPort = await hooklaunch(['serve', '--port', 'eighty']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain("error: option '-p, --port <port>' argument 'eighty' is invalid. must be a port number, 0 to 65535 (0: any free port)");
    expect((await hooklaunch(['nosuch'])).code).toBe(2);
    project = tempProject(VALOHAI);
    const unknown = await hooklaunch(['send', 'Closed', '-c', config(project, 'port: 0')]);
    expect(unknown.code).toBe(2);
    oneLine(unknown.stderr);
    expect(unknown.stderr).toContain('hooklaunch: no trigger "Closed" in ');
  });
});
