import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests may use (CI starts one); each test gets a database of its own. */
export const POSTGRES_URL = process.env.HOOKLAUNCH_TEST_POSTGRES_URL;

/** Without a server, Postgres tests are skipped locally with this reason; CI always has one. */
export const POSTGRES_SKIP = POSTGRES_URL || process.env.CI ? undefined : 'no PostgreSQL: set HOOKLAUNCH_TEST_POSTGRES_URL (CI does)';

export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!POSTGRES_URL) throw new Error('HOOKLAUNCH_TEST_POSTGRES_URL is not set: CI must start PostgreSQL');
  const name = `hooklaunch_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
