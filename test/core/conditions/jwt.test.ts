import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { conditionSchema, type JwtConfig } from '../../../core/config/schema.js';
import { compileJwt } from '../../../core/conditions/jwt.js';
import { rawRequest } from '../../helpers/raw-request.js';

const NOW_S = 1_795_000_000;
const clock = fixedClock(NOW_S * 1000);
const secret = 'a-shared-secret-of-reasonable-length';
const jwt = (fields: Record<string, unknown>) => compileJwt(conditionSchema.parse({ type: 'web-request-auth', auth_type: 'jwt', ...fields }) as JwtConfig);
const bearer = (token: string) => rawRequest({ headers: { Authorization: `Bearer ${token}` } });

async function hs256(claims: Record<string, unknown> = {}, key = secret, alg = 'HS256'): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg }).setIssuedAt(NOW_S - 10).setExpirationTime(NOW_S + 300).setIssuer('https://issuer.test').setAudience('hooklaunch').sign(new TextEncoder().encode(key));
}

describe('JWT condition', () => {
  let rsa: { publicKey: CryptoKey; privateKey: CryptoKey };
  let es: { publicKey: CryptoKey; privateKey: CryptoKey };
  let rsaPem: string;
  let jwks: Server;
  let jwksUrl: string;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    es = await generateKeyPair('ES256', { extractable: true });
    rsaPem = await exportSPKI(rsa.publicKey);
    const keys = [{ ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' }];
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  const hsCheck = () => jwt({ algorithms: ['HS256'], secret, issuer: 'https://issuer.test', audience: 'hooklaunch', max_age: 300 });

  it('accepts a valid HS256 token', async () => {
    expect(await hsCheck()(bearer(await hs256()), clock)).toEqual({ ok: true, value: undefined });
  });

  it('accepts a token signed with the previous secret during rotation', async () => {
    const check = jwt({ algorithms: ['HS256'], secret: ['the-new-secret-0123456789', secret] });
    expect(await check(bearer(await hs256()), clock)).toMatchObject({ ok: true });
  });

  it('rejects alg none', async () => {
    const token = new UnsecuredJWT({ iss: 'https://issuer.test', aud: 'hooklaunch' }).setIssuedAt(NOW_S).encode();
    expect(await hsCheck()(bearer(token), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_algorithm_not_allowed' } });
  });

  it('rejects an algorithm outside the allow-list', async () => {
    expect(await hsCheck()(bearer(await hs256({}, secret, 'HS512')), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_algorithm_not_allowed' } });
  });

  it('rejects an expired token, one too old for max_age, and one from the future', async () => {
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW_S - 100).setExpirationTime(NOW_S - 1).setIssuer('https://issuer.test').setAudience('hooklaunch').sign(new TextEncoder().encode(secret));
    expect(await hsCheck()(bearer(expired), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_expired' } });
    const old = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW_S - 3600).setExpirationTime(NOW_S + 300).setIssuer('https://issuer.test').setAudience('hooklaunch').sign(new TextEncoder().encode(secret));
    expect(await hsCheck()(bearer(old), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_expired' } });
    const future = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW_S).setNotBefore(NOW_S + 600).setIssuer('https://issuer.test').setAudience('hooklaunch').sign(new TextEncoder().encode(secret));
    expect(await hsCheck()(bearer(future), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_claim_invalid', message: /"nbf"/ } });
  });

  it('rejects a wrong audience and a wrong issuer, naming the claim', async () => {
    const wrongAud = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW_S).setIssuer('https://issuer.test').setAudience('someone-else').sign(new TextEncoder().encode(secret));
    expect(await hsCheck()(bearer(wrongAud), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_claim_invalid', message: /claim "aud"/ } });
    const wrongIss = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW_S).setIssuer('https://evil.test').setAudience('hooklaunch').sign(new TextEncoder().encode(secret));
    expect(await hsCheck()(bearer(wrongIss), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_claim_invalid', message: /claim "iss"/ } });
  });

  it('rejects a token signed with another secret, and garbage', async () => {
    expect(await hsCheck()(bearer(await hs256({}, 'another-secret-entirely-000')), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_invalid' } });
    expect(await hsCheck()(bearer('not.a.jwt'), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_invalid' } });
    expect(await hsCheck()(rawRequest({ headers: { Authorization: 'Basic abc' } }), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_invalid' } });
    expect(await hsCheck()(rawRequest(), clock)).toMatchObject({ ok: false, rejection: { code: 'missing_header' } });
  });

  it('verifies RS256 with a PEM public key', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuedAt(NOW_S).sign(rsa.privateKey);
    expect(await jwt({ algorithms: ['RS256'], public_key: rsaPem })(bearer(token), clock)).toMatchObject({ ok: true });
  });

  it('never lets an HS token signed with the public key PEM pass an RS configuration', async () => {
    const forged = await hs256({}, rsaPem);
    const verdict = await jwt({ algorithms: ['RS256'], public_key: rsaPem })(bearer(forged), clock);
    expect(verdict).toMatchObject({ ok: false, rejection: { code: 'jwt_algorithm_not_allowed' } });
  });

  it('verifies ES256 through a JWKS URL and rejects a key it does not list', async () => {
    const check = jwt({ algorithms: ['ES256', 'RS256'], jwks_url: jwksUrl, issuer: 'https://issuer.test' });
    const good = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'es-1' }).setIssuedAt(NOW_S).setIssuer('https://issuer.test').sign(es.privateKey);
    expect(await check(bearer(good), clock)).toMatchObject({ ok: true });
    const unknownKey = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa-9' }).setIssuedAt(NOW_S).setIssuer('https://issuer.test').sign(rsa.privateKey);
    expect(await check(bearer(unknownKey), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_invalid', message: /no key in the JWKS/ } });
  });

  it('answers jwt_key_unavailable (503) when the JWKS cannot be fetched', async () => {
    const check = jwt({ algorithms: ['ES256'], jwks_url: 'http://127.0.0.1:1/jwks.json' });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'es-1' }).setIssuedAt(NOW_S).sign(es.privateKey);
    expect(await check(bearer(token), clock)).toMatchObject({ ok: false, rejection: { code: 'jwt_key_unavailable', status: 503 } });
  });
});
