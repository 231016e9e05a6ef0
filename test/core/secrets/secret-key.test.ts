/**
 * Where the secret key comes from: HOOKLAUNCH_SECRET_KEY (hex or base64, anything else refused by
 * name), else secret.key beside a SQLite store (created once, mode 0600, reused, refused when other
 * users could read it or it holds no key), else — PostgreSQL — a start-up error. Through the real
 * service and CLI too: the key is on `Service.secretKey`, its source logged, never the key.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { keyId, open, seal } from '../../../core/secrets/secret-box.js';
import { loadSecretKey, SecretKeyError } from '../../../core/secrets/secret-key.js';
import { startService } from '../../../core/service.js';
import { tempProject, type TempProject } from '../../helpers/project.js';
import { silentLogger, startTestService, type TestService } from '../../helpers/service.js';

const KEY_HEX = '8f742231b10e8888abcd99e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5';
const KEY = Buffer.from(KEY_HEX, 'hex');
const PG = 'postgres://hooklaunch:pw@127.0.0.1:1/hooklaunch';
const PG_MESSAGE = 'with a PostgreSQL store every instance needs the same key: set HOOKLAUNCH_SECRET_KEY';
const VALOHAI = '- step: {name: noop, image: x, command: "true"}\n';
const CLI = join(import.meta.dirname, '../../../core/cli/main.ts');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-key-'));
  dirs.push(dir);
  return dir;
}
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretKeyError);
    return (error as Error).message;
  }
  throw new Error('expected a SecretKeyError');
}

describe('HOOKLAUNCH_SECRET_KEY', () => {
  it.each([
    ['64 hex characters', KEY_HEX],
    ['upper-case hex with a trailing newline', `${KEY_HEX.toUpperCase()}\n`],
    ['base64 with padding', KEY.toString('base64')],
    ['base64 without padding', KEY.toString('base64').replace(/=+$/, '')],
    ['URL-safe base64', KEY.toString('base64url')],
  ])('takes %s, for either store', (_what, value) => {
    for (const store of [PG, `sqlite:${join(stateDir(), 'state.db')}`]) {
      const loaded = loadSecretKey(store, { HOOKLAUNCH_SECRET_KEY: value });
      expect(loaded.source).toEqual({ kind: 'env' });
      expect(loaded.id).toBe(keyId(loadSecretKey(PG, { HOOKLAUNCH_SECRET_KEY: KEY_HEX }).key));
      expect(Buffer.from(loaded.key.export()).equals(KEY)).toBe(true);
    }
  });

  it.each([
    ['empty', '', 'HOOKLAUNCH_SECRET_KEY is empty'],
    ['31 bytes of hex', KEY_HEX.slice(2), 'HOOKLAUNCH_SECRET_KEY is 62 hex characters'],
    ['an odd hex digit short', KEY_HEX.slice(1), 'HOOKLAUNCH_SECRET_KEY is 63 hex characters'],
    ['48 bytes of base64', Buffer.alloc(48, 7).toString('base64'), 'HOOKLAUNCH_SECRET_KEY decodes (base64) to 48 bytes'],
    ['16 bytes of base64', KEY.subarray(0, 16).toString('base64'), 'HOOKLAUNCH_SECRET_KEY decodes (base64) to 16 bytes'],
    ['a passphrase', 'correct horse battery staple!', 'HOOKLAUNCH_SECRET_KEY is neither hex nor base64'],
    ['base64 with stray bits', `${KEY.toString('base64').slice(0, 42)}B=`, 'HOOKLAUNCH_SECRET_KEY is not well-formed base64'],
  ])('refuses %s, naming the variable and what is wrong but not the value', (_what, value, words) => {
    const message = refusal(() => loadSecretKey(PG, { HOOKLAUNCH_SECRET_KEY: value }));
    expect(message).toContain(words);
    expect(message).toContain('32 random bytes as 64 hex characters or base64');
    if (value.length > 8) expect(message).not.toContain(value.trim().slice(0, 12));
  });

  it('is required with PostgreSQL, and start-up says so before touching the database', async () => {
    expect(refusal(() => loadSecretKey(PG, {}))).toContain(PG_MESSAGE);
    const project = tempProject(VALOHAI);
    try {
      const loaded = project.load(`store: {url: "${PG}"}\n`);
      await expect(startService(loaded, { port: 0, logger: silentLogger, env: {} })).rejects.toThrow(PG_MESSAGE);
      expect(readdirSync(project.dir)).toEqual(['valohai.yaml']);
    } finally {
      project.remove();
    }
  });

  it('`hooklaunch serve` on PostgreSQL without it exits 2 with the message', async () => {
    const project = tempProject(VALOHAI);
    try {
      const config = project.write('hooklaunch.yaml', `store: {url: "${PG}"}\n`);
      const { HOOKLAUNCH_SECRET_KEY: _unset, ...env } = process.env;
      const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, 'serve', '--config', config, '--port', '0'], { env, timeout: 30_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`hooklaunch: cannot start: ${PG_MESSAGE}`);
    } finally {
      project.remove();
    }
  });
});

describe('secret.key beside a SQLite store', () => {
  it('is created on first use with mode 0600 and reused after', () => {
    const dir = stateDir();
    const store = `sqlite:${join(dir, 'nested', 'state.db')}`;
    const first = loadSecretKey(store, {});
    const path = join(dir, 'nested', 'secret.key');
    expect(first.source).toEqual({ kind: 'file', path, created: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['secret.key']);
    const again = loadSecretKey(store, {});
    expect(again.source).toEqual({ kind: 'file', path, created: false });
    expect(again.id).toBe(first.id);
    expect(readFileSync(path, 'utf8')).toBe(text);
    // The file holds what the variable takes: moving to PostgreSQL is HOOKLAUNCH_SECRET_KEY=$(cat secret.key).
    expect(loadSecretKey(PG, { HOOKLAUNCH_SECRET_KEY: text }).id).toBe(first.id);
  });

  it('is refused when group or others have any access, saying how to fix it', () => {
    const dir = stateDir();
    const path = join(dir, 'secret.key');
    writeFileSync(path, `${KEY_HEX}\n`);
    for (const mode of [0o644, 0o640, 0o620, 0o604]) {
      chmodSync(path, mode);
      const message = refusal(() => loadSecretKey(`sqlite:${join(dir, 'state.db')}`, {}));
      expect(message).toBe(`${path} has mode 0${mode.toString(8)}: other users may read or change it; run \`chmod 600 ${path}\` (or set HOOKLAUNCH_SECRET_KEY)`);
    }
    chmodSync(path, 0o600);
    expect(loadSecretKey(`sqlite:${join(dir, 'state.db')}`, {}).id).toBe(keyId(loadSecretKey(PG, { HOOKLAUNCH_SECRET_KEY: KEY_HEX }).key));
  });

  it.each([
    ['empty', '', 'is empty'],
    ['16 bytes', `${KEY_HEX.slice(0, 32)}\n`, 'is 32 hex characters'],
    ['text', 'not a key at all\n', 'is neither hex nor base64'],
  ])('holding %s is refused and left as it is (never replaced by a new key)', (_what, content, words) => {
    const dir = stateDir();
    const path = join(dir, 'secret.key');
    writeFileSync(path, content, { mode: 0o600 });
    const message = refusal(() => loadSecretKey(`sqlite:${join(dir, 'state.db')}`, {}));
    expect(message).toContain(`${path} ${words}`);
    expect(message).toContain('restore it from your backup');
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('that cannot be made stops start-up with a message naming it', () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'state'), 'a file where the state directory should be');
    const message = refusal(() => loadSecretKey(`sqlite:${join(dir, 'state', 'state.db')}`, {}));
    expect(message).toMatch(new RegExp(`^cannot (read|create) ${join(dir, 'state', 'secret.key')}: `));
    expect(readdirSync(dir)).toEqual(['state']);
  });

  it('is not made for an in-memory store, whose key lives as long as the process', () => {
    const memory = loadSecretKey('sqlite::memory:', {});
    expect(memory.source).toEqual({ kind: 'ephemeral' });
    expect(loadSecretKey('sqlite::memory:', {}).id).not.toBe(memory.id);
    expect(existsSync(join(process.cwd(), 'secret.key'))).toBe(false);
  });
});

describe('the service', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('loads the key at start, logs where from (never the key), and opens after a restart what it sealed before', async () => {
    t = await startTestService(VALOHAI, 'triggers: []\n');
    const path = join(t.project.dir, 'secret.key');
    expect(t.service.secretKey.source).toEqual({ kind: 'file', path, created: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const context = 'trigger:0190fe82-c984-7f66-8302-69874914e1c9:conditions[0].secret';
    const sealed = seal('github-webhook-secret-0123456789', t.service.secretKey.key, context);

    const lines: string[] = [];
    const logger = pino(new Writable({ write: (chunk: Buffer, _encoding, done) => void (lines.push(chunk.toString()), done()) }));
    await t.restart({ logger });
    expect(t.service.secretKey.source).toEqual({ kind: 'file', path, created: false });
    expect(open(sealed, t.service.secretKey.key, context)).toEqual({ ok: true, value: 'github-webhook-secret-0123456789' });
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; secretKey?: unknown }).filter((line) => line.msg === 'secret key loaded');
    expect(logged).toEqual([expect.objectContaining({ secretKey: { source: 'secret.key', id: t.service.secretKey.id, path } })]);
    const key = readFileSync(path, 'utf8').trim();
    expect(lines.join('')).not.toContain(key);
    expect(lines.join('')).not.toContain(Buffer.from(key, 'hex').toString('base64').slice(0, 16));
  });

  it('takes HOOKLAUNCH_SECRET_KEY over the file, and a bad one fails start-up', async () => {
    t = await startTestService(VALOHAI, 'triggers: []\n', { env: { HOOKLAUNCH_SECRET_KEY: KEY.toString('base64') } });
    expect(t.service.secretKey.source).toEqual({ kind: 'env' });
    expect(existsSync(join(t.project.dir, 'secret.key'))).toBe(false);
    await expect(t.restart({ env: { HOOKLAUNCH_SECRET_KEY: 'changeme' } })).rejects.toThrow(
      'HOOKLAUNCH_SECRET_KEY decodes (base64) to 6 bytes; it must hold 32 random bytes as 64 hex characters or base64 (e.g. `openssl rand -hex 32`); or unset it to use secret.key beside the SQLite store',
    );
  });
});
