import type { TimestampConfig } from '../config/schema.js';
import { describeLocation, locateValues } from '../request/locate-value.js';
import { refuse } from '../reject.js';
import { PASS, type Check } from './check.js';

const UNIX_S = /^\d{1,12}(\.\d{1,9})?$/;
const UNIX_MS = /^\d{1,15}$/;
// RFC 3339 profile of ISO 8601: a date alone or a local time without offset is ambiguous, so refused.
const ISO8601 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:?\d{2})$/;

/** Parses a timestamp in the given format to epoch milliseconds, or undefined. */
export function parseTimestampMs(value: string, format: TimestampConfig['format']): number | undefined {
  const text = value.trim();
  switch (format) {
    case 'unix_s':
      return UNIX_S.test(text) ? Math.round(Number(text) * 1000) : undefined;
    case 'unix_ms':
      return UNIX_MS.test(text) ? Number(text) : undefined;
    case 'iso8601': {
      if (!ISO8601.test(text)) return undefined;
      const ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      return Number.isNaN(ms) ? undefined : ms;
    }
  }
}

/** Replay protection: the request's own timestamp must be within `tolerance` seconds of now, either side. */
export function compileTimestamp(config: TimestampConfig): Check {
  const where = describeLocation(config);
  const toleranceMs = config.tolerance * 1000;
  return (req, clock) => {
    const values = locateValues(req, config, 'timestamp_invalid');
    if (!values.ok) return values;
    const ms = parseTimestampMs(values.value[0]!, config.format);
    if (ms === undefined) return refuse('timestamp_invalid', `${where} is not a ${config.format} timestamp`);
    const skewMs = clock.now() - ms;
    if (skewMs > toleranceMs) {
      return refuse('timestamp_too_old', `${where} is ${Math.round(skewMs / 1000)} s old; at most ${config.tolerance} s is accepted`);
    }
    if (-skewMs > toleranceMs) {
      return refuse('timestamp_too_new', `${where} is ${Math.round(-skewMs / 1000)} s in the future; at most ${config.tolerance} s is accepted`);
    }
    return PASS;
  };
}
