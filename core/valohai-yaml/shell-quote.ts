/**
 * Python's `shlex.quote`, which valohai-yaml uses for every interpolated value. Hand-written (five
 * lines) because npm's shell-quote escapes differently, and commands must match what Valohai runs.
 */
const SAFE = /^[\w@%+=:,./-]+$/;

export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}
