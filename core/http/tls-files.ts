/**
 * Reads `server.tls`'s certificate and key and proves they make a TLS context before the server
 * is given them: at start-up a bad file is a config error naming its line, and on SIGHUP it is
 * refused so the certificate being served stays.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { ConfigIssue } from '../yaml/config-error.js';
import type { TlsFiles } from '../config/load-config.js';

export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export type TlsRead = { readonly ok: true; readonly credentials: TlsCredentials } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export function readTlsFiles(files: TlsFiles): TlsRead {
  const issues: ConfigIssue[] = [];
  const read = (which: 'cert' | 'key', what: string): Buffer | undefined => {
    const { path, line } = files[which];
    try {
      const pem = readFileSync(path);
      // Each alone first, so a broken file is named rather than the pair.
      createSecureContext({ [which]: pem });
      return pem;
    } catch (error) {
      issues.push({ path: `server.tls.${which}`, line, message: `${path} is not a usable PEM ${what}: ${(error as Error).message}` });
      return undefined;
    }
  };
  const cert = read('cert', 'certificate');
  const key = read('key', 'private key');
  if (!cert || !key) return { ok: false, issues };
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    return { ok: false, issues: [{ path: 'server.tls.key', line: files.key.line, message: `${files.key.path} is not the private key of ${files.cert.path}: ${(error as Error).message}` }] };
  }
  return { ok: true, credentials: { cert, key } };
}
