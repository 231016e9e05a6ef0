/**
 * The floors under the durable accept targets (issue 14): node:http servers doing only what a
 * durable accept of the bench's requests cannot skip, and nothing a faster design could drop — no
 * trigger log, no rate limit, no dedupe, no job, no metrics. Each row of the bench that has a
 * target beside it gets the floor fed its own requests, so a target above its floor is one no
 * design reaches on this machine, and a row's distance to its floor is what hooklaunch itself costs.
 *
 * - `floor`: the generic trigger's HMAC-SHA256 over "{timestamp}.{body}" compared timing-safe,
 *   one JSON.parse (the payload filter reads the body), a SHA-256 of the body (the trigger log
 *   keeps it), the body written to a log file and an fdatasync before the answer.
 * - `floor-slack`: Slack's v0 signature over "v0:{timestamp}:{body}" and its 5-minute window, the
 *   form parsed for the command and trigger_id, the body written to a log file and fdatasync'ed,
 *   the ephemeral JSON answer.
 * - `floor-pg`: `floor`'s checks, the bodies of a group committed into one PostgreSQL table (an
 *   id and the body, compressed as hooklaunch's payloads are) with one INSERT per commit, two
 *   commits overlapping on pooled connections as hooklaunch's do (1, 2 and 4 measured alike);
 *   synchronous_commit as the server has it (on).
 *
 * Group commit in all three: requests that arrive while a commit runs wait together for the next,
 * so one flush answers many; every answer follows a flush that started after its own write.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, fdatasync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync, writev } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BENCH_SECRET } from './bench-secret.js';

export interface Floor {
  readonly server: Server;
  readonly close: () => Promise<void>;
}

type Check = (req: IncomingMessage, body: Buffer) => boolean;
/** Makes a batch of bodies durable; one call in flight per `inFlight` slot. */
type Sink = { readonly write: (bodies: Buffer[]) => Promise<void>; readonly inFlight: number; readonly close: () => Promise<void> };

const fail = (res: ServerResponse, status: number): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end('{"ok":false}');
};

function hmacEquals(given: string | string[] | undefined, expected: string): boolean {
  const a = Buffer.from(String(given ?? ''));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The generic trigger's checks: signature, the parse the payload filter needs, the logged digest. */
const genericCheck: Check = (req, body) => {
  const expected = `sha256=${createHmac('sha256', BENCH_SECRET).update(`${String(req.headers['x-timestamp'] ?? '')}.`).update(body).digest('hex')}`;
  if (!hmacEquals(req.headers['x-signature'], expected)) return false;
  JSON.parse(body.toString());
  createHash('sha256').update(body).digest('hex');
  return true;
};

/** Slack's checks (api.slack.com/authentication/verifying-requests-from-slack): v0 signature, 5-minute window, the form's command and trigger_id. */
const slackCheck: Check = (req, body) => {
  const ts = String(req.headers['x-slack-request-timestamp'] ?? '');
  if (!(Math.abs(Date.now() / 1000 - Number(ts)) <= 300)) return false;
  const expected = `v0=${createHmac('sha256', BENCH_SECRET).update(`v0:${ts}:`).update(body).digest('hex')}`;
  if (!hmacEquals(req.headers['x-slack-signature'], expected)) return false;
  const form = new URLSearchParams(body.toString());
  return form.get('command') !== null && form.get('trigger_id') !== null;
};

/** Bytes of the floor's log file, written over in a ring. */
const RING_BYTES = 64 * 2 ** 20;

/**
 * One file, an fdatasync per commit. The file is written in full before the first request and
 * then written over in a ring, as PostgreSQL recycles its WAL segments: an fdatasync after an
 * append also commits the file's new size and extents to the filesystem journal, and measured here
 * costs ~1.5–1.8× one after writing over blocks already on disk (8 KB: ~150 vs ~100 µs).
 */
function fileSink(): Sink {
  const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-floor-'));
  const fd = openSync(join(dir, 'log'), 'w+');
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  const zeros = Buffer.alloc(2 ** 20);
  for (let at = 0; at < RING_BYTES; at += zeros.length) writeSync(fd, zeros, 0, zeros.length, at);
  fsyncSync(fd);
  let position = 0;
  return {
    // One sync at a time: two or three overlapping fdatasyncs of the one file each wait for their
    // own journal commit, and measured slower (Slack floor 12.6–15.2k vs 18.4–20.8k req/s).
    inFlight: 1,
    write: (bodies) =>
      new Promise((resolve, reject) => {
        const bytes = bodies.reduce((sum, body) => sum + body.length, 0);
        if (position + bytes > RING_BYTES) position = 0;
        const at = position;
        position += bytes;
        writev(fd, bodies, at, (writeError) => (writeError ? reject(writeError) : fdatasync(fd, (error) => (error ? reject(error) : resolve()))));
      }),
    close: async () => {
      closeSync(fd);
      removeDir();
    },
  };
}

const FLOOR_TABLE = 'CREATE TABLE IF NOT EXISTS floor_log (id bigserial PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now(), body bytea NOT NULL)';
// One binary parameter sliced on the server, as hooklaunch sends payloads (node-postgres would hex-encode an array of Buffers).
const FLOOR_INSERT = 'INSERT INTO floor_log (body) SELECT substring($1::bytea FROM s FOR l) FROM unnest($2::int[], $3::int[]) AS t(s, l)';

async function postgresSink(url: string): Promise<Sink> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await pool.query(FLOOR_TABLE);
  // lz4 where the server has it, as hooklaunch's payload columns (core/store/postgres/migrations.ts).
  await pool.query('ALTER TABLE floor_log ALTER COLUMN body SET COMPRESSION lz4').catch(() => undefined);
  return {
    inFlight: 2,
    write: async (bodies) => {
      const starts: number[] = [];
      let at = 1;
      for (const body of bodies) {
        starts.push(at);
        at += body.length;
      }
      await pool.query({ name: 'floor_insert', text: FLOOR_INSERT, values: [Buffer.concat(bodies), starts, bodies.map((b) => b.length)] });
    },
    close: async () => {
      await pool.query('DROP TABLE IF EXISTS floor_log').catch(() => undefined);
      await pool.end();
    },
  };
}

function floorOver(check: Check, answer: string, sink: Sink): Floor {
  let waiting: Array<{ body: Buffer; res: ServerResponse }> = [];
  let running = 0;
  const commit = (): void => {
    const batch = waiting;
    waiting = [];
    running++;
    const done = (error?: unknown): void => {
      for (const { res } of batch) {
        if (error) fail(res, 500);
        else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(answer);
        }
      }
      if (error) process.stderr.write(`${(error as Error).stack}\n`);
      running--;
      if (waiting.length > 0 && running < sink.inFlight) commit();
    };
    sink.write(batch.map((b) => b.body)).then(() => done(), done);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!check(req, body)) return fail(res, 401);
      waiting.push({ body, res });
      if (running < sink.inFlight) commit();
    });
  });
  return { server, close: sink.close };
}

const OK = '{"ok":true}';
const SLACK_ACK = '{"response_type":"ephemeral","text":"Working on it"}';

/** `floor`, `floor-slack`, or `floor-pg` (with the PostgreSQL URL to write to). */
export async function floorServer(kind: string, url?: string): Promise<Floor> {
  if (kind === 'floor') return floorOver(genericCheck, OK, fileSink());
  if (kind === 'floor-slack') return floorOver(slackCheck, SLACK_ACK, fileSink());
  if (kind === 'floor-pg') {
    if (!url) throw new Error('floor-pg needs the PostgreSQL URL to write to');
    return floorOver(genericCheck, OK, await postgresSink(url));
  }
  throw new Error(`unknown floor ${kind}`);
}
