/**
 * A request's raw headers (as sent, kept for replay) written as what they add to its logged
 * headers: the logged copy is each name's values joined, credentials `[redacted]`, so for most
 * names it already says what was sent. The embedded store keeps the difference in the request's
 * own row (issue #14): a row and two B-trees of `request_raw`, and most of the bytes, per accept.
 *
 * The difference names every header whose raw values are not exactly `[logged value]` (a
 * redacted credential, a repeated header, one sent but not logged), and maps a logged name that
 * was not sent to null. Rebuilt, the headers come in logged order, then those only sent.
 */
export type HeaderDelta = Record<string, readonly string[] | null>;

export function headerDelta(logged: Readonly<Record<string, string>>, raw: Readonly<Record<string, readonly string[]>>): HeaderDelta {
  const delta: HeaderDelta = {};
  for (const name of Object.keys(raw)) {
    const values = raw[name]!;
    if (values.length !== 1 || !Object.hasOwn(logged, name) || logged[name] !== values[0]) put(delta, name, values);
  }
  for (const name of Object.keys(logged)) if (!Object.hasOwn(raw, name)) put(delta, name, null);
  return delta;
}

export function applyHeaderDelta(logged: Readonly<Record<string, string>>, delta: HeaderDelta): Record<string, string[]> {
  const raw: Record<string, string[]> = {};
  for (const name of Object.keys(logged)) {
    if (!Object.hasOwn(delta, name)) put(raw, name, [logged[name]!]);
    else if (delta[name] !== null) put(raw, name, [...delta[name]!]);
  }
  for (const name of Object.keys(delta)) if (!Object.hasOwn(logged, name) && delta[name] !== null) put(raw, name, [...delta[name]!]);
  return raw;
}

/** A header named `__proto__` is a header like any other: an own property, not the object's prototype. */
function put<T>(target: Record<string, T>, name: string, value: NoInfer<T>): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}
