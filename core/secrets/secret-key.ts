/**
 * The key that seals secrets set through the admin API or page (see secret-box.ts), loaded once at
 * start-up: from HOOKLAUNCH_SECRET_KEY, else (SQLite) from `secret.key` beside the database,
 * created on first start. With PostgreSQL every instance opens the others' sealed secrets, so all
 * need one key, and a file made on one host is on no other: there the variable is required.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes, createSecretKey, type KeyObject } from 'node:crypto';
import { dirname, join } from 'node:path';
import { keyId } from './secret-box.js';

export const SECRET_KEY_ENV = 'HOOKLAUNCH_SECRET_KEY';
export const SECRET_KEY_FILE = 'secret.key';
export const SECRET_KEY_BYTES = 32;

export type SecretKeySource =
  | { readonly kind: 'env' }
  | { readonly kind: 'file'; readonly path: string; readonly created: boolean }
  /** `sqlite::memory:`: nothing outlives the process, so neither need the key. */
  | { readonly kind: 'ephemeral' };

export interface SecretKey {
  /** A KeyObject, not a Buffer: it prints and serialises without its bytes, so a log line cannot leak it. */
  readonly key: KeyObject;
  /** One-way fingerprint (secret-box.ts keyId); safe to log. */
  readonly id: string;
  readonly source: SecretKeySource;
}

/** The key cannot be loaded: start-up fails with this message (naming the variable or file, never the key). */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

const HOW = `${SECRET_KEY_BYTES} random bytes as 64 hex characters or base64 (e.g. \`openssl rand -hex 32\`)`;

/** The key a text holds: 64 hex characters, or base64 (standard or URL-safe, padding optional) of 32 bytes. */
export function parseSecretKey(text: string, what: string): { ok: true; bytes: Buffer } | { ok: false; message: string } {
  const value = text.trim();
  if (value === '') return { ok: false, message: `${what} is empty; it must hold ${HOW}` };
  // 43 characters is unpadded base64 of 32 bytes, whatever its letters; any other all-hex text is hex.
  if (/^[0-9a-fA-F]+$/.test(value) && value.length !== 43) {
    if (value.length === 2 * SECRET_KEY_BYTES) return { ok: true, bytes: Buffer.from(value, 'hex') };
    return { ok: false, message: `${what} is ${value.length} hex characters; it must hold ${HOW}` };
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) && !/^[A-Za-z0-9_-]+={0,2}$/.test(value)) {
    return { ok: false, message: `${what} is neither hex nor base64 (it has characters outside both alphabets); it must hold ${HOW}` };
  }
  // Node's decoder takes both alphabets and ignores stray bits; text that does not re-encode to itself is malformed.
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64url') !== value.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_')) {
    return { ok: false, message: `${what} is not well-formed base64; it must hold ${HOW}` };
  }
  if (bytes.length !== SECRET_KEY_BYTES) return { ok: false, message: `${what} decodes (base64) to ${bytes.length} bytes; it must hold ${HOW}` };
  return { ok: true, bytes };
}

/**
 * Loads the key for the store at `storeUrl` (as LoadedConfig has it: a sqlite path made absolute).
 * Throws SecretKeyError when the key is missing or unusable; never creates a key over an existing file.
 */
export function loadSecretKey(storeUrl: string, env: Readonly<Record<string, string | undefined>>): SecretKey {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv !== undefined) {
    const parsed = parseSecretKey(fromEnv, SECRET_KEY_ENV);
    if (!parsed.ok) throw new SecretKeyError(storeUrl.startsWith('sqlite:') ? `${parsed.message}; or unset it to use ${SECRET_KEY_FILE} beside the SQLite store` : parsed.message);
    return secretKey(parsed.bytes, { kind: 'env' });
  }
  if (!storeUrl.startsWith('sqlite:')) {
    throw new SecretKeyError(`with a PostgreSQL store every instance needs the same key: set ${SECRET_KEY_ENV} (${HOW}) on every instance`);
  }
  const database = storeUrl.slice('sqlite:'.length);
  if (database === ':memory:') return secretKey(randomBytes(SECRET_KEY_BYTES), { kind: 'ephemeral' });
  const path = join(dirname(database), SECRET_KEY_FILE);
  const created = createKeyFileOnce(path);
  return secretKey(readKeyFile(path), { kind: 'file', path, created });
}

/** What the start-up log line says about the key: where it came from and its id, never the key. */
export function describeSecretKey(key: SecretKey): { source: string; id: string; path?: string } {
  const { source } = key;
  if (source.kind === 'env') return { source: SECRET_KEY_ENV, id: key.id };
  if (source.kind === 'ephemeral') return { source: 'generated for this process (in-memory store)', id: key.id };
  return { source: source.created ? `${SECRET_KEY_FILE} (created now: back it up)` : SECRET_KEY_FILE, id: key.id, path: source.path };
}

function secretKey(bytes: Buffer, source: SecretKeySource): SecretKey {
  const key = createSecretKey(bytes);
  bytes.fill(0);
  return { key, id: keyId(key), source };
}

/**
 * Writes a fresh key to a temporary file (mode 0600, synced) and hard-links it into place: the
 * link fails if the file exists, so a key is never overwritten, and no process ever reads a
 * half-written one. Returns whether this call created it.
 */
function createKeyFileOnce(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new SecretKeyError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const dir = dirname(path);
  const temporary = join(dir, `.${SECRET_KEY_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(SECRET_KEY_BYTES).toString('hex')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    // The directory entry too: a key lost in a crash after secrets were sealed with it loses them.
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return true;
  } catch (error) {
    throw new SecretKeyError(`cannot create ${path}: ${(error as Error).message} (or set ${SECRET_KEY_ENV})`);
  } finally {
    rmSync(temporary, { force: true });
  }
}

function readKeyFile(path: string): Buffer {
  const stat = statSync(path);
  if (!stat.isFile()) throw new SecretKeyError(`${path} is not a regular file`);
  // Other users able to read (or replace) the key could open every stored secret.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new SecretKeyError(`${path} has mode ${mode}: other users may read or change it; run \`chmod 600 ${path}\` (or set ${SECRET_KEY_ENV})`);
  }
  const parsed = parseSecretKey(readFileSync(path, 'utf8'), path);
  if (!parsed.ok) throw new SecretKeyError(`${parsed.message}; restore it from your backup (a new key cannot open the secrets sealed with the old one)`);
  return parsed.bytes;
}
