/**
 * Issue #17 point 3, through the real command and a running `serve`: `runs` shows the batches not
 * launched yet (key, items/max, age, closes by) above the runs and lists a launched batch's run
 * once, not once per delivery ("batch of N"); `batch list` reads the store (waiting batches by
 * default, --all, --trigger); `batch close` is an operator's, through the service, and says what
 * happened; `runs <run-id>` of a batch run shows its batch, of a batch not launched yet says so;
 * `runs --follow` prints a batch's run once when it launches.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { CLI, hooklaunch, serve, type Served } from './cli.js';

const VALOHAI = `- step: {name: train, image: x, command: "echo trained", inputs: [{name: payload}]}
`;
const LABELS = '0190fe82-0000-7000-8000-0000000ba001';
const PLAIN = '0190fe82-0000-7000-8000-0000000ba002';
const OPERATOR = 'batches-cli-operator-0123';
const VIEWER = 'batches-cli-viewer-01234';
const CONFIG = `server:
  admin_tokens:
    - {name: ops, token: ${OPERATOR}, role: operator}
    - {name: look, token: ${VIEWER}, role: viewer}
store:
  url: sqlite:state.db
launcher: {kind: local, grace: 1}
triggers:
  - id: ${LABELS}
    title: Labels
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: labels-token}]
    batch: {key: "{payload.dataset}", window: 3600, max_items: 100}
    actions: [{type: run-execution, step: train}]
  - id: ${PLAIN}
    title: Plain
    conditions: [{type: web-request-auth, auth_type: static_token, key: Authorization, prefix: "Bearer ", secret: plain-token}]
    actions: [{type: run-execution, step: train}]
`;

const BATCH_LINE = (key: string, items: number): RegExp => new RegExp(`^ {2}(\\S+) {2}${LABELS} {2}key "${key}" {2}${items}/100 items {2}age \\d+s {2}closes by (\\S+Z)$`, 'm');

describe('hooklaunch batch, and batches in runs', () => {
  let project: TempProject | undefined;
  let served: Served | undefined;
  afterEach(async () => {
    await served?.stop();
    served = undefined;
    project?.remove();
  });

  it('shows waiting batches, closes one through the service, and lists its run once', async () => {
    project = tempProject(VALOHAI);
    const config = project.write('hooklaunch.yaml', CONFIG);
    // Launches paused: the runs stay pending, so what is listed does not change while the test reads it.
    const env = { HOOKLAUNCH_PAUSE_LAUNCHES: '1' };
    served = await serve(['-c', config, '--port', '0'], env);
    const send = async (trigger: string, data: unknown): Promise<string> => {
      const sent = await hooklaunch(['send', trigger, '-c', config, '-d', JSON.stringify(data)], env);
      expect(sent.code, sent.stdout + sent.stderr).toBe(0);
      return sent.stdout;
    };
    const first = await send('Labels', { dataset: 'cars', n: 1 });
    const batchId = /^200 OK {2}request \S+ {2}batch (\S+) item 1$/m.exec(first)?.[1];
    expect(batchId, first).toBeDefined();
    const openRunId = /"run_id":"([^"]+)"/.exec(first)![1]!;
    expect(await send('Labels', { dataset: 'cars', n: 2 })).toMatch(new RegExp(`batch ${batchId} item 2\\n`));
    expect(await send('Labels', { dataset: 'cars', n: 3 })).toMatch(new RegExp(`batch ${batchId} item 3\\n`));
    await send('Labels', { dataset: 'bikes', n: 1 });
    const plainRunId = /"run_id":"([^"]+)"/.exec(await send('Plain', { x: 1 }))![1]!;

    // Before any batch launched: both wait above the list; the plain trigger's run is the only run.
    const before = await hooklaunch(['runs', '-c', config], env);
    expect(before.code).toBe(0);
    const [heading, ...rest] = before.stdout.split('\n');
    expect(heading).toMatch(/^batches not launched yet /);
    expect(before.stdout).toMatch(BATCH_LINE('cars', 3));
    expect(before.stdout).toMatch(BATCH_LINE('bikes', 1));
    expect(BATCH_LINE('cars', 3).exec(before.stdout)![1]).toBe(batchId);
    expect(rest.filter((l) => /^\S+Z {2}/.test(l))).toEqual([expect.stringMatching(new RegExp(`${plainRunId} {2}${PLAIN} {2}pending$`))]);
    // Ended runs only: a batch that has not launched is none of them.
    expect((await hooklaunch(['runs', '-c', config, '--status', 'completed'], env)).stdout).not.toContain('batches not launched yet');
    // A run id a batched delivery was answered with, before its batch launched.
    const notYet = await hooklaunch(['runs', openRunId, '-c', config], env);
    expect(notYet.code).toBe(0);
    expect(notYet.stdout).toMatch(new RegExp(`^run ${openRunId}: not launched yet, it is the run of a batch that launches when it closes\\nbatch ${batchId} {2}${LABELS} {2}key "cars" {2}3/100 items`));

    const listed = await hooklaunch(['batch', 'list', '-c', config, '--trigger', 'Labels'], env);
    expect(listed.stdout.trim().split('\n').map((l) => /key "(\w+)"/.exec(l)?.[1]).sort()).toEqual(['bikes', 'cars']);
    expect((await hooklaunch(['batches', '-c', config, '--trigger', 'Plain'], env)).stderr).toContain('no batch is waiting to launch');

    // Closing is an operator's: with only a viewer token in the file, refused and nothing launched.
    const viewerOnly = project.write('viewer.yaml', CONFIG.replace(`    - {name: ops, token: ${OPERATOR}, role: operator}\n`, ''));
    const refused = await hooklaunch(['batch', 'close', batchId!, '-c', viewerOnly, '-u', served.url], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('batch close goes through the admin API');

    // Followed from before the batch launches: its run shows up once, as a batch's.
    const follower = spawn(process.execPath, ['--import', 'tsx', CLI, 'runs', '--follow', '-c', config, '--trigger', 'Labels'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    let followErr = '';
    follower.stdout.on('data', (chunk: Buffer) => void (followed += chunk.toString()));
    follower.stderr.on('data', (chunk: Buffer) => void (followErr += chunk.toString()));
    const followerExit = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    const waitFor = async (read: () => string, pattern: RegExp): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(read())) {
        if (Date.now() > deadline) throw new Error(`never printed ${pattern}: ${followed}\n${followErr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const closed = await (async () => {
      try {
        await waitFor(() => followErr, /following the runs of/);
        const answer = await hooklaunch(['batch', 'close', batchId!, '-c', config], env);
        await waitFor(() => followed, new RegExp(`${openRunId} {2}${LABELS} {2}batch of 3 {2}pending\n`));
        // One more read of the store (every second) prints nothing new for it.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(followed.split('\n').filter((l) => l.includes(openRunId))).toHaveLength(1);
        return answer;
      } finally {
        follower.kill('SIGINT');
        expect(await followerExit).toBe(0);
      }
    })();
    expect(closed.stderr).toBe('');
    expect(closed.stdout).toBe(`batch ${batchId}: launched run ${openRunId} with 3 deliveries\n`);
    expect((await hooklaunch(['batch', 'close', batchId!, '-c', config], env)).stdout).toBe(`batch ${batchId}: already launched as run ${openRunId}\n`);
    const unknown = await hooklaunch(['batch', 'close', 'no-such-batch', '-c', config], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('hooklaunch: batch no-such-batch not closed: no batch "no-such-batch"\n');

    // The batch's run is listed once for its three deliveries, with its size; bikes still waits.
    const after = await hooklaunch(['runs', '-c', config], env);
    const runLines = after.stdout.split('\n').filter((l) => /^\S+Z {2}/.test(l));
    expect(runLines).toHaveLength(2);
    expect(runLines.filter((l) => l.includes(openRunId))).toEqual([expect.stringMatching(new RegExp(`^\\S+Z {2}${openRunId} {2}${LABELS} {2}batch of 3 {2}pending$`))]);
    expect(after.stdout).toMatch(BATCH_LINE('bikes', 1));
    expect(after.stdout).not.toMatch(BATCH_LINE('cars', 3));
    const labelsOnly = await hooklaunch(['runs', '-c', config, '--trigger', 'Labels', '--status', 'pending'], env);
    expect(labelsOnly.stdout).toContain(`${openRunId}  ${LABELS}  batch of 3  pending`);
    expect(labelsOnly.stdout).not.toContain(plainRunId);

    const shown = await hooklaunch(['runs', openRunId, '-c', config], env);
    expect(shown.stdout).toMatch(new RegExp(`^run ${openRunId} {2}trigger ${LABELS} {2}accepted \\S+ {2}status pending\\nbatch ${batchId} {2}key "cars" {2}3 deliveries {2}opened \\S+ {2}closed \\S+ \\(manual\\)\\n`));
    const all = await hooklaunch(['batch', 'list', '--all', '-c', config], env);
    expect(all.stdout).toMatch(new RegExp(`^${batchId} {2}${LABELS} {2}key "cars" {2}3/100 items {2}age \\d+s {2}launched \\S+Z \\(manual\\) {2}run ${openRunId}$`, 'm'));
    expect(all.stdout).toMatch(/key "bikes" {2}1\/100 items .* closes by /);
  }, 120_000);
});
