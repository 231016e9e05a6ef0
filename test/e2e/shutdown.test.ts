/**
 * Shutdown of a real `hooklaunch serve` (issue #12): SIGTERM with one execution running and five
 * queued exits within `launcher.grace` + 5 s, and after a restart all six complete, each once; an
 * execution a SIGKILL cut off runs again (once) after the restart.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { serveProcess as serve, type ServeProcess } from '../helpers/serve-process.js';

const TRIGGER = '0190fe82-c984-7f66-8302-0000000000c1';
const GRACE_SECONDS = 1;
// Each execution notes that its command runs, waits for the test's go-ahead (a file), then records
// its id: one line per run.
const VALOHAI = `
- step:
    name: wait-then-record
    image: busybox
    command:
      - touch "$VH_REPOSITORY_DIR/running"
      - while [ ! -e "$VH_REPOSITORY_DIR/go" ]; do sleep 0.05; done
      - echo "$VH_EXECUTION_ID" >> "$VH_REPOSITORY_DIR/done.txt"
`;

describe('shutdown', () => {
  let project: TempProject | undefined;
  let running: ChildProcess | undefined;
  afterEach(() => {
    running?.kill('SIGKILL');
    project?.remove();
    running = project = undefined;
  });

  const setUp = (graceSeconds = GRACE_SECONDS): { config: string } => {
    project = tempProject(VALOHAI);
    const config = join(project.dir, 'hooklaunch.yaml');
    writeFileSync(
      config,
      `store: {url: "sqlite:${join(project.dir, 'state.db')}"}\nlauncher: {kind: local, concurrency: 1, grace: ${graceSeconds}}\ntriggers:\n  - id: ${TRIGGER}\n    actions: [{type: run-execution, step: wait-then-record}]\n`,
    );
    return { config };
  };
  const start = async (config: string): Promise<ServeProcess> => {
    const serving = await serve(config);
    running = serving.child;
    return serving;
  };
  const launch = async (url: string): Promise<string> => {
    const res = await fetch(`${url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    return ((await res.json()) as { run_id: string }).run_id;
  };
  const statuses = (db: Database.Database): string[] => (db.prepare('SELECT status FROM executions ORDER BY created_at').all() as Array<{ status: string }>).map((r) => r.status);
  const done = (): string[] => {
    try {
      return readFileSync(join(project!.dir, 'done.txt'), 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };

  it('exits within the grace + 5 s on SIGTERM with one execution running and five queued; after a restart all six complete once', async () => {
    const { config } = setUp();
    const first = await start(config);
    for (let i = 0; i < 6; i++) await launch(first.url);
    const db = new Database(join(project!.dir, 'state.db'), { readonly: true });
    try {
      await expect.poll(() => statuses(db), { timeout: 15_000, interval: 50 }).toEqual(['started', 'queued', 'queued', 'queued', 'queued', 'queued']);
      const signalledAtMs = Date.now();
      first.child.kill('SIGTERM');
      // Once it says it is stopping, it accepts nothing more, while the running execution has its grace.
      await expect.poll(first.stderr, { timeout: 5_000, interval: 20 }).toContain('SIGTERM: finishing requests in flight and stopping');
      const late = await fetch(`${first.url}/api/v0/launch/${TRIGGER}/`, { method: 'POST', body: '{}' }).then((r) => `answered ${r.status}`, () => 'refused');
      expect(late).toBe('refused');
      const { code, atMs } = await first.exited;
      expect(code).toBe(0);
      expect(atMs - signalledAtMs).toBeLessThan((GRACE_SECONDS + 5) * 1000);
      // Nothing ran to its end; the interrupted one is queued again with a note, never failed.
      expect(statuses(db)).toEqual(Array(6).fill('queued'));
      expect(done()).toEqual([]);
      const notes = db.prepare(`SELECT text FROM execution_logs WHERE stream = 'system' AND text LIKE 'interrupted%'`).all();
      expect(notes).toEqual([{ text: 'interrupted by shutdown; it runs again from the start on the next start\n' }]);

      const second = await start(config);
      writeFileSync(join(project!.dir, 'go'), '');
      await expect.poll(() => statuses(db), { timeout: 20_000, interval: 100 }).toEqual(Array(6).fill('complete'));
      const ids = (db.prepare('SELECT execution_id FROM executions').all() as Array<{ execution_id: string }>).map((r) => r.execution_id);
      expect(done().sort()).toEqual(ids.sort());
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      db.close();
    }
  });

  it('runs an execution a SIGKILL cut off again after the restart, once, having killed what the first run left', async () => {
    const { config } = setUp();
    const first = await start(config);
    await launch(first.url);
    const db = new Database(join(project!.dir, 'state.db'), { readonly: true });
    try {
      await expect.poll(() => statuses(db), { timeout: 15_000, interval: 50 }).toEqual(['started']);
      // 'started' is stored (and made durable) before the command is spawned: kill once it runs.
      await expect.poll(() => existsSync(join(project!.dir, 'running')), { timeout: 15_000, interval: 50 }).toBe(true);
      first.child.kill('SIGKILL');
      await first.exited;
      await start(config);
      // Re-run: the note, then started again. The first run's shell (still waiting for the file) is gone.
      await expect
        .poll(() => db.prepare(`SELECT text FROM execution_logs WHERE stream = 'system' AND text LIKE 'interrupted%'`).all(), { timeout: 15_000, interval: 50 })
        .toEqual([{ text: expect.stringMatching(/^interrupted: hooklaunch stopped without shutting down while this execution was running \(1 of at most 3 times\); re-run; \d+ process\(es\) it left behind were killed\n$/) }]);
      await expect.poll(() => statuses(db), { timeout: 15_000, interval: 50 }).toEqual(['started']);
      writeFileSync(join(project!.dir, 'go'), '');
      await expect.poll(() => statuses(db), { timeout: 15_000, interval: 50 }).toEqual(['complete']);
      const [{ execution_id }] = db.prepare('SELECT execution_id FROM executions').all() as [{ execution_id: string }];
      expect(done()).toEqual([execution_id]);
    } finally {
      db.close();
    }
  });

  it('exits at once on a second signal, killing the running execution, which runs again (once) after a restart', async () => {
    const { config } = setUp(60);
    const first = await start(config);
    await launch(first.url);
    const db = new Database(join(project!.dir, 'state.db'), { readonly: true });
    try {
      await expect.poll(() => statuses(db), { timeout: 15_000, interval: 50 }).toEqual(['started']);
      first.child.kill('SIGTERM');
      await expect.poll(first.stderr, { timeout: 5_000, interval: 20 }).toContain('SIGTERM: finishing requests in flight');
      const signalledAtMs = Date.now();
      first.child.kill('SIGINT');
      const { code, atMs } = await first.exited;
      expect(code).toBe(1);
      // Far inside the 60 s grace.
      expect(atMs - signalledAtMs).toBeLessThan(5_000);
      expect(statuses(db)).toEqual(['started']);

      await start(config);
      // The killed run left nothing behind to kill: only the crash note, then it runs again.
      await expect
        .poll(() => db.prepare(`SELECT text FROM execution_logs WHERE stream = 'system' AND text LIKE 'interrupted%'`).all(), { timeout: 15_000, interval: 50 })
        .toEqual([{ text: 'interrupted: hooklaunch stopped without shutting down while this execution was running (1 of at most 3 times); re-run\n' }]);
      writeFileSync(join(project!.dir, 'go'), '');
      await expect.poll(() => statuses(db), { timeout: 15_000, interval: 50 }).toEqual(['complete']);
      expect(done()).toHaveLength(1);
    } finally {
      db.close();
    }
  });
});
