/**
 * A PostgreSQL store URL carries its password (usually from `${env:DATABASE_URL}`), and the
 * commands that name their store — `logs --follow`, `runs --follow`, `runs RUN_ID` when there is
 * no such run, `serve`'s generated admin token, `check` — printed it whole on the terminal, where a
 * CI log or a shared screen keeps it. They now show it with the password masked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { displayStoreUrl } from '../../core/store/display-store-url.js';
import { POSTGRES_SKIP, freshDatabase } from '../helpers/postgres.js';
import { tempProject, type TempProject } from '../helpers/project.js';
import { hooklaunch } from './cli.js';

describe('displayStoreUrl', () => {
  it('masks the password after the user name and as the libpq parameter', () => {
    expect(displayStoreUrl('postgres://hooklaunch:s3cr%2Ft@db.internal:5432/hooklaunch')).toBe('postgres://hooklaunch:***@db.internal:5432/hooklaunch');
    expect(displayStoreUrl('postgresql://app@db/hl?sslmode=require&password=s3cret')).toBe('postgresql://app@db/hl?sslmode=require&password=***');
  });

  it('leaves a URL without a password, and a sqlite path, as they are', () => {
    expect(displayStoreUrl('postgres://app@db/hl?sslmode=require')).toBe('postgres://app@db/hl?sslmode=require');
    expect(displayStoreUrl('sqlite:/var/lib/hooklaunch/state.db')).toBe('sqlite:/var/lib/hooklaunch/state.db');
  });

  it('masks what may hold a password in a URL the parser refuses', () => {
    expect(displayStoreUrl('postgres://app:s3cret@[bad host/hl')).toBe('postgres://***@[bad host/hl');
  });
});

describe.skipIf(POSTGRES_SKIP)(`a command naming a PostgreSQL store${POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ''}`, () => {
  let project: TempProject | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    project?.remove();
    await drop?.();
    project = undefined;
    drop = undefined;
  });

  it('does not print its password', async () => {
    const database = await freshDatabase();
    drop = database.drop;
    const password = new URL(database.url).password;
    expect(password).not.toBe('');
    project = tempProject('- step: {name: noop, image: x, command: "true"}\n', {
      'hooklaunch.yaml': 'store: {url: "${env:DATABASE_URL}"}\ntriggers:\n  - {id: 0190fe82-0000-7000-8000-00000000e5e1, actions: [{type: run-execution, step: noop}]}\n',
    });
    const missing = await hooklaunch(['runs', '0190fe82-0000-7000-8000-0000000000aa', '--config', `${project.dir}/hooklaunch.yaml`], { DATABASE_URL: database.url, HOOKLAUNCH_SECRET_KEY: '7f'.repeat(32) });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no run 0190fe82-0000-7000-8000-0000000000aa in postgres://');
    expect(missing.stderr).toContain(':***@');
    expect(missing.stderr + missing.stdout).not.toContain(`:${password}@`);
  }, 30_000);
});
