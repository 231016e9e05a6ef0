/**
 * A store URL as it may be shown (a terminal, the service log, an error): a PostgreSQL URL's
 * password is a secret (often `${env:DATABASE_URL}`), masked where it can be given — after the
 * user name, or as libpq's `password` parameter. A sqlite path is shown as it is.
 */
export function displayStoreUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL the parser takes: whatever sits between "//" and the last "@" may hold the password.
    return url.replace(/\/\/[^/]*@/, '//***@');
  }
  if (parsed.password) parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.password || parsed.searchParams.has('password') ? parsed.toString() : url;
}
