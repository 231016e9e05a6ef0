/**
 * A batch run's payload input laid out as the batching design says (issue #17, batch-spec.md):
 * `batch.jsonl`, one delivery's body per line in arrival order (a JSON body re-serialized on one
 * line, any other body as a JSON string of its text, "\n" after every line), and `index.json`
 * describing the batch and, in `items[i]`, line i+1.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BatchDelivery {
  readonly body: string;
  readonly contentType?: string;
}

export interface BatchIndexFile {
  readonly batch_id: string;
  readonly key: string | null;
  readonly run_id: string;
  readonly opened_at: string;
  readonly closed_at: string;
  readonly close_reason: 'max_items' | 'window' | 'quiet' | 'manual';
  readonly items: ReadonlyArray<{ position: number; request_id: string; received_at: string; content_type: string; sha256: string; size_bytes: number }>;
}

function line(body: string): string {
  let value: unknown;
  try {
    value = JSON.parse(body) as unknown;
  } catch {
    return JSON.stringify(body);
  }
  return JSON.stringify(value);
}

/** Writes batch.jsonl and index.json into dir (made if missing); returns the index written. */
export function writeBatchInput(dir: string, deliveries: readonly BatchDelivery[], batch: Partial<Omit<BatchIndexFile, 'items'>> = {}): BatchIndexFile {
  mkdirSync(dir, { recursive: true });
  const opened = Date.parse('2026-11-28T22:00:00.000Z');
  const index: BatchIndexFile = {
    batch_id: 'b-0190fe82-0000-7000-8000-000000000001',
    key: 'cars',
    run_id: 'r-0190fe82-0000-7000-8000-000000000001',
    opened_at: new Date(opened).toISOString(),
    closed_at: new Date(opened + 600_000).toISOString(),
    close_reason: 'window',
    ...batch,
    items: deliveries.map((delivery, i) => ({
      position: i + 1,
      request_id: `req-${String(i + 1).padStart(4, '0')}`,
      received_at: new Date(opened + i * 1000).toISOString(),
      content_type: delivery.contentType ?? 'application/json',
      sha256: createHash('sha256').update(delivery.body).digest('hex'),
      size_bytes: Buffer.byteLength(delivery.body),
    })),
  };
  writeFileSync(join(dir, 'batch.jsonl'), deliveries.map((d) => `${line(d.body)}\n`).join(''));
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  return index;
}
