import type { ParameterValue } from '../valohai-yaml/coerce-parameter.js';

/**
 * What one launch job does, fully resolved at accept time (payload templates filled in and
 * type-checked), so a job can be retried after a restart without the original request.
 */
export type ActionSpec =
  | {
      readonly type: 'run-execution';
      readonly step: string;
      readonly title: string;
      readonly payloadInput?: string | undefined;
      readonly payloadFilename: string;
      readonly parameters: Readonly<Record<string, ParameterValue>>;
      readonly commit?: string | undefined;
      /** A batch's launch: the payload input holds batch.jsonl (payloadFilename) and index.json. */
      readonly batched?: boolean | undefined;
    }
  | {
      readonly type: 'run-pipeline';
      readonly pipeline: string;
      readonly title: string;
      readonly payloadInput?: string | undefined;
      readonly payloadFilename: string;
      readonly parameters: Readonly<Record<string, ParameterValue>>;
      readonly commit?: string | undefined;
      /** A batch's launch: the payload input holds batch.jsonl (payloadFilename) and index.json. */
      readonly batched?: boolean | undefined;
    }
  | { readonly type: 'fetch-repository' };

/** The name the payload file gets from its content type, unless the action names one. */
export function payloadFilenameFor(contentType: string): string {
  if (contentType === 'application/json' || contentType.endsWith('+json')) return 'payload.json';
  if (contentType === 'application/xml' || contentType === 'text/xml' || contentType.endsWith('+xml')) return 'payload.xml';
  if (contentType === 'text/csv') return 'payload.csv';
  if (contentType === 'application/yaml' || contentType === 'text/yaml') return 'payload.yaml';
  if (contentType === 'application/x-www-form-urlencoded' || contentType.startsWith('text/')) return 'payload.txt';
  return 'payload.bin';
}
