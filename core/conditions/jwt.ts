import { createRemoteJWKSet, errors, importSPKI, importX509, jwtVerify, type CryptoKey, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { JwtConfig } from '../config/schema.js';
import { describeLocation, locateValues } from '../request/locate-value.js';
import { refuse, type Verdict } from '../reject.js';
import { PASS, type Check } from './check.js';

/**
 * JWT via jose with an explicit algorithm allow-list. Keys are bound to their algorithm family,
 * so an HS secret never verifies an RS/ES token and a public key never verifies an HS token;
 * `alg: none` is refused by jose itself.
 */
export function compileJwt(config: JwtConfig): Check {
  const where = describeLocation(config);
  const keys = keyResolvers(config);
  const baseOptions: JWTVerifyOptions = {
    algorithms: [...config.algorithms],
    ...(config.issuer !== undefined && { issuer: config.issuer }),
    ...(config.audience !== undefined && { audience: config.audience }),
    ...(config.subject !== undefined && { subject: config.subject }),
    ...(config.max_age !== undefined && { maxTokenAge: config.max_age }),
    clockTolerance: config.clock_tolerance,
  };
  return async (req, clock) => {
    const values = locateValues(req, config, 'jwt_invalid');
    if (!values.ok) return values;
    const token = values.value[0]!.trim();
    const options = { ...baseOptions, currentDate: new Date(clock.now()) };
    let last: Verdict<void> | undefined;
    for (const key of keys) {
      try {
        await jwtVerify(token, key, options);
        return PASS;
      } catch (error) {
        last = toRejection(error, where);
        // Only a signature mismatch is worth trying the next (rotated) secret for.
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) return last;
      }
    }
    return last ?? refuse('jwt_invalid', `${where}: no key configured`);
  };
}

type KeyResolver = Uint8Array | JWTVerifyGetKey;

function keyResolvers(config: JwtConfig): KeyResolver[] {
  if (config.secret !== undefined) return config.secret.map((s) => new TextEncoder().encode(s));
  if (config.jwks_url !== undefined) return [createRemoteJWKSet(new URL(config.jwks_url))];
  const pem = config.public_key!;
  const imported = new Map<string, Promise<CryptoKey>>();
  const resolver: JWTVerifyGetKey = async (header) => {
    const alg = header.alg;
    if (!alg || !config.algorithms.includes(alg as JwtConfig['algorithms'][number])) throw new errors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed`);
    let key = imported.get(alg);
    if (!key) {
      key = pem.includes('BEGIN CERTIFICATE') ? importX509(pem, alg) : importSPKI(pem, alg);
      imported.set(alg, key);
    }
    return key;
  };
  return [resolver];
}

/** Validates a PEM public key for each allowed algorithm at start-up, so a bad key fails there. */
export async function checkPublicKey(pem: string, algorithms: readonly string[]): Promise<string | undefined> {
  for (const alg of algorithms) {
    try {
      await (pem.includes('BEGIN CERTIFICATE') ? importX509(pem, alg) : importSPKI(pem, alg));
    } catch (error) {
      return `public_key cannot be used for ${alg}: ${(error as Error).message}`;
    }
  }
  return undefined;
}

function toRejection(error: unknown, where: string): Verdict<void> {
  if (error instanceof errors.JWTExpired) return refuse('jwt_expired', `${where}: token has expired`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return refuse('jwt_claim_invalid', `${where}: claim "${error.claim}" ${error.reason === 'missing' ? 'is missing' : 'is not accepted'}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return refuse('jwt_algorithm_not_allowed', `${where}: token algorithm is not in the allowed list`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('jwt_invalid', `${where}: token signature does not verify`);
  if (error instanceof errors.JWKSNoMatchingKey) return refuse('jwt_invalid', `${where}: no key in the JWKS matches the token`);
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error instanceof errors.JWKSMultipleMatchingKeys) {
    return refuse('jwt_key_unavailable', `${where}: the JWKS could not be used (${error.code})`);
  }
  if (error instanceof errors.JOSEError) return refuse('jwt_invalid', `${where}: token is malformed (${error.code})`);
  if (error instanceof TypeError && /fetch|network|ECONN/i.test(error.message)) {
    return refuse('jwt_key_unavailable', `${where}: the JWKS could not be fetched`);
  }
  if (error instanceof TypeError) return refuse('jwt_invalid', `${where}: token does not fit the configured key`);
  throw error;
}
