/**
 * The secret box against node:crypto itself: what `seal` writes decrypts with a plain
 * createDecipheriv (HKDF-SHA256 subkey, 12-byte nonce, AAD "v1\0<context>"), and what a plain
 * createCipheriv writes opens. Every part altered is refused, and each way of failing says which.
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENCRYPTION_KEY_INFO, keyId, open, seal } from '../../../core/secrets/secret-box.js';

const KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const key = createSecretKey(Buffer.from(KEY_HEX, 'hex'));
const other = createSecretKey(randomBytes(32));
const CONTEXT = 'trigger:0190fe82-c984-7f66-8302-69874914e1c9:conditions[0].secret';
const SECRET = 'It’s a Secret to Everybody';

/** The AES key as the format defines it, computed here with node:crypto alone. */
const encryptionKey = Buffer.from(hkdfSync('sha256', Buffer.from(KEY_HEX, 'hex'), Buffer.alloc(0), 'hooklaunch secret-box v1 aes-256-gcm', 32));

function parts(sealed: string): string[] {
  return sealed.split(':');
}

function flipByte(base64: string, index: number): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[index]! ^= 0x01;
  return bytes.toString('base64');
}

describe('seal and open, known answers against node:crypto', () => {
  it('writes v1:<key id>:<context id>:<nonce>:<ciphertext+tag> that createDecipheriv opens', () => {
    expect(ENCRYPTION_KEY_INFO).toBe('hooklaunch secret-box v1 aes-256-gcm');
    const sealed = seal(SECRET, key, CONTEXT);
    const [version, kid, cid, nonce, body] = parts(sealed) as [string, string, string, string, string];
    expect(version).toBe('v1');
    expect(kid).toMatch(/^[0-9a-f]{16}$/);
    expect(cid).toMatch(/^[0-9a-f]{16}$/);
    const nonceBytes = Buffer.from(nonce, 'base64');
    const bodyBytes = Buffer.from(body, 'base64');
    expect(nonceBytes).toHaveLength(12);
    expect(bodyBytes).toHaveLength(Buffer.byteLength(SECRET) + 16);
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey, nonceBytes);
    decipher.setAAD(Buffer.from(`v1\0${CONTEXT}`));
    decipher.setAuthTag(bodyBytes.subarray(-16));
    expect(Buffer.concat([decipher.update(bodyBytes.subarray(0, -16)), decipher.final()]).toString('utf8')).toBe(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 8));
  });

  it('opens what createCipheriv wrote with a fixed nonce, and a fresh nonce makes every seal differ', () => {
    const nonce = Buffer.from('00112233445566778899aabb', 'hex');
    const cipher = createCipheriv('aes-256-gcm', encryptionKey, nonce);
    cipher.setAAD(Buffer.from(`v1\0${CONTEXT}`));
    const body = Buffer.concat([cipher.update('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const [, kid, cid] = parts(seal('x', key, CONTEXT));
    const handmade = ['v1', kid, cid, nonce.toString('base64'), body.toString('base64')].join(':');
    expect(open(handmade, key, CONTEXT)).toEqual({ ok: true, value: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    const a = seal(SECRET, key, CONTEXT);
    const b = seal(SECRET, key, CONTEXT);
    expect(a).not.toBe(b);
    expect(parts(a)[3]).not.toBe(parts(b)[3]);
    expect(open(a, key, CONTEXT)).toEqual({ ok: true, value: SECRET });
    expect(open(b, key, CONTEXT)).toEqual({ ok: true, value: SECRET });
  });

  it('keeps the key out of logs: the key object prints and serialises without its bytes', () => {
    const shown = `${inspect(key)} ${JSON.stringify({ key })}`;
    expect(shown).not.toContain(KEY_HEX.slice(0, 16));
    expect(shown).not.toContain(Buffer.from(KEY_HEX, 'hex').toString('base64').slice(0, 12));
    expect(keyId(key)).toBe(keyId(createSecretKey(Buffer.from(KEY_HEX, 'hex'))));
    expect(keyId(key)).not.toBe(keyId(other));
  });
});

describe('open refuses', () => {
  const sealed = seal(SECRET, key, CONTEXT);
  const [version, kid, cid, nonce, body] = parts(sealed) as [string, string, string, string, string];
  const tagStart = Buffer.from(body, 'base64').length - 16;
  const join = (...p: string[]) => p.join(':');

  it.each([
    ['a newer format', join('v2', kid, cid, nonce, body), 'unknown_version', 'format "v2"'],
    ['no format at all', 'hunter2', 'unknown_version', 'no known format'],
    ['a part missing', join(version, kid, nonce, body), 'malformed', '5 parts'],
    ['another key id', join(version, kid.replace(/^./, kid[0] === '0' ? '1' : '0'), cid, nonce, body), 'wrong_key', 'sealed under key'],
    ['another context id', join(version, kid, cid.replace(/^./, cid[0] === '0' ? '1' : '0'), nonce, body), 'wrong_context', 'another trigger or field'],
    ['a nonce bit flipped', join(version, kid, cid, flipByte(nonce, 0), body), 'tampered', 'fails authentication'],
    ['a short nonce', join(version, kid, cid, Buffer.alloc(8).toString('base64'), body), 'malformed', 'nonce'],
    ['a ciphertext bit flipped', join(version, kid, cid, nonce, flipByte(body, 0)), 'tampered', 'fails authentication'],
    ['a tag bit flipped', join(version, kid, cid, nonce, flipByte(body, tagStart + 15)), 'tampered', 'fails authentication'],
    ['the tag cut off', join(version, kid, cid, nonce, Buffer.from(body, 'base64').subarray(0, tagStart).toString('base64')), 'tampered', 'fails authentication'],
    ['non-base64 text in the ciphertext', join(version, kid, cid, nonce, `${body.slice(0, 4)}!${body.slice(4)}`), 'malformed', 'ciphertext'],
  ])('%s', (_what, value, problem, words) => {
    const opened = open(value, key, CONTEXT);
    expect(opened).toMatchObject({ ok: false, problem });
    expect(opened.ok || opened.message).toContain(words);
    expect(JSON.stringify(opened)).not.toContain(SECRET);
  });

  it('under another key, naming both key ids', () => {
    expect(open(sealed, other, CONTEXT)).toEqual({
      ok: false,
      problem: 'wrong_key',
      message: `the secret was sealed under key ${keyId(key)}, this instance's key is ${keyId(other)}: HOOKLAUNCH_SECRET_KEY or secret.key is not the key it was sealed with`,
    });
  });

  it('for another trigger or another field of the same trigger', () => {
    for (const context of ['trigger:0190fe82-c984-7f66-8302-69874914e1ca:conditions[0].secret', 'trigger:0190fe82-c984-7f66-8302-69874914e1c9:conditions[1].secret']) {
      expect(open(sealed, key, context)).toMatchObject({ ok: false, problem: 'wrong_context', message: expect.stringContaining(context) });
    }
  });

  it('a value moved to another context even with its context id forged: the AAD still refuses it', () => {
    const elsewhere = 'trigger:0190fe82-c984-7f66-8302-69874914e1ca:conditions[0].secret';
    const forgedCid = parts(seal('x', key, elsewhere))[2]!;
    expect(open(join(version, kid, forgedCid, nonce, body), key, elsewhere)).toMatchObject({ ok: false, problem: 'tampered' });
  });
});
