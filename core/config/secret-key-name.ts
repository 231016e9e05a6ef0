/**
 * Which config keys hold a secret: `secret`, `secrets`, or a name ending in `_secret`
 * (`signing_secret`, `client_secret`) or `_token` (Slack's `bot_token`: it posts as the app), at
 * any depth, in conditions and connector blocks alike. Not merely any key containing "secret":
 * `secret_encoding` says how a secret is written.
 */
const SECRET_KEY_NAME = /(^|_)secrets?$|_token$/i;

export function namesSecret(key: string): boolean {
  return SECRET_KEY_NAME.test(key);
}

/** Whether a dotted path (`conditions[0].secret[1]`, `connector.signing_secret`) runs through a key naming a secret. */
export function pathNamesSecret(path: string): boolean {
  return path.split(/[.[\]]+/).some(namesSecret);
}
