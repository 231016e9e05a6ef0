import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { conditionSchema, type HmacConfig } from '../../../core/config/schema.js';
import { compileHmac, signHmac } from '../../../core/conditions/hmac.js';
import { ONE_SHOT_BYTES, oneShotHmac, prepareHmacKey, type OneShotAlgorithm } from '../../../core/conditions/one-shot-hmac.js';
import { rawRequest } from '../../helpers/raw-request.js';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

describe('one-shot HMAC', () => {
  // RFC 4231 §4.2 (test case 1) and §4.7 (test case 6: a key longer than the block is hashed
  // first); RFC 2202 §3 test case 1 for SHA-1. https://datatracker.ietf.org/doc/html/rfc4231#section-4
  it.each([
    ['sha256', hex('0b'.repeat(20)), 'Hi There', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['sha512', hex('0b'.repeat(20)), 'Hi There', '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854'],
    ['sha1', hex('0b'.repeat(20)), 'Hi There', 'b617318655057264e28bc0b6fb378c8ef146be00'],
    ['sha256', hex('aa'.repeat(131)), 'Test Using Larger Than Block-Size Key - Hash Key First', '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    ['sha512', hex('aa'.repeat(131)), 'Test Using Larger Than Block-Size Key - Hash Key First', '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598'],
  ] as const)('gives the RFC vector for %s', (algorithm, key, message, expected) => {
    expect(oneShotHmac(prepareHmacKey(algorithm, key), [message])?.toString('hex')).toBe(expected);
  });

  it('equals createHmac for keys around the block size and messages in pieces, strings as UTF-8', () => {
    for (const algorithm of ['sha1', 'sha256', 'sha512'] as OneShotAlgorithm[]) {
      for (const keyBytes of [1, 16, 63, 64, 65, 127, 128, 129, 300]) {
        const key = randomBytes(keyBytes);
        const prepared = prepareHmacKey(algorithm, key);
        for (const message of [[], [Buffer.alloc(0)], ['1700000000', Buffer.from('.'), randomBytes(7700)], ['zoë ✓ 🚀', randomBytes(3), 'ß']] as Array<Array<Buffer | string>>) {
          const reference = createHmac(algorithm, key);
          for (const part of message) reference.update(part);
          // Twice: the shared scratch and the key's outer block hold nothing over from the last call.
          expect(oneShotHmac(prepared, message)).toEqual(reference.digest());
          expect(oneShotHmac(prepared, message)).toEqual(createHmac(algorithm, key).update(Buffer.concat(message.map((p) => Buffer.from(p)))).digest());
        }
      }
    }
  });

  it('takes messages up to ONE_SHOT_BYTES and leaves longer ones (bytes, or UTF-8 bytes of a string) to createHmac', () => {
    const key = prepareHmacKey('sha256', randomBytes(32));
    expect(oneShotHmac(key, [Buffer.alloc(ONE_SHOT_BYTES - 1), 'x'])).toBeDefined();
    expect(oneShotHmac(key, [Buffer.alloc(ONE_SHOT_BYTES), 'x'])).toBeUndefined();
    expect(oneShotHmac(key, ['é'.repeat(ONE_SHOT_BYTES / 2)])).toBeDefined();
    expect(oneShotHmac(key, ['é'.repeat(ONE_SHOT_BYTES / 2 + 1)])).toBeUndefined();
  });

  it('the HMAC condition verifies bodies on both sides of the one-shot limit, and refuses them forged', () => {
    const config = conditionSchema.parse({ type: 'web-request-auth', auth_type: 'hmac', key: 'X-Signature', prefix: 'sha256=', secret: ['old-secret-0123456789', 'new-secret-0123456789'] }) as HmacConfig;
    const check = compileHmac(config, undefined);
    for (const size of [0, 7700, ONE_SHOT_BYTES, ONE_SHOT_BYTES + 1, 100_000]) {
      const body = randomBytes(size);
      for (const secret of config.secret) {
        const signed = rawRequest({ headers: { 'X-Signature': `sha256=${signHmac({ secret }, { body })}` }, body });
        expect(check(signed, fixedClock(0))).toEqual({ ok: true, value: undefined });
      }
      const forged = rawRequest({ headers: { 'X-Signature': `sha256=${signHmac({ secret: 'wrong-secret-0123456789' }, { body })}` }, body });
      expect(check(forged, fixedClock(0))).toMatchObject({ ok: false, rejection: { code: 'signature_mismatch' } });
    }
  });
});
