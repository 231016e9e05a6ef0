import type { StaticTokenConfig } from '../config/schema.js';
import { describeLocation, locateValues } from '../request/locate-value.js';
import { refuse } from '../reject.js';
import { PASS, type Check } from './check.js';
import { secretEqual } from './constant-time.js';

/** The sender puts a shared secret in a header, query parameter or body field; any configured secret matches. */
export function compileStaticToken(config: StaticTokenConfig): Check {
  const where = describeLocation(config);
  return (req) => {
    const values = locateValues(req, config, 'token_mismatch');
    if (!values.ok) return values;
    // Every secret is compared (no early exit) so timing does not tell which one is in use.
    let matched = false;
    for (const value of values.value) for (const secret of config.secret) matched = secretEqual(value, secret) || matched;
    return matched ? PASS : refuse('token_mismatch', `${where} does not carry a valid token`);
  };
}
