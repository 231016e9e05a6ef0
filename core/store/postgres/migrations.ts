/** The PostgreSQL schema, one entry per version; `hooklaunch_schema` records the version applied. */
export const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE requests (
  seq BIGSERIAL PRIMARY KEY,
  request_id TEXT NOT NULL UNIQUE,
  trigger_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  remote_address TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  body_sha256 TEXT NOT NULL,
  headers TEXT NOT NULL,
  outcome TEXT NOT NULL,
  status INTEGER NOT NULL,
  code TEXT,
  message TEXT,
  run_id TEXT,
  replay_of TEXT
);
CREATE INDEX requests_by_trigger ON requests (trigger_id, seq);
CREATE INDEX requests_by_outcome ON requests (trigger_id, outcome, seq);
CREATE INDEX requests_by_time ON requests (received_at);

CREATE TABLE request_raw (
  request_id TEXT PRIMARY KEY,
  target TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BYTEA
);

CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  trigger_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  accepted_at BIGINT NOT NULL,
  content_type TEXT NOT NULL,
  payload BYTEA NOT NULL
);
CREATE INDEX runs_by_trigger_time ON runs (trigger_id, accepted_at);

CREATE TABLE dedupe (
  trigger_id TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  run_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (trigger_id, dedupe_key)
);

CREATE TABLE jobs (
  job_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  spec TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  claimed_by TEXT,
  last_error TEXT,
  result TEXT
);
CREATE INDEX jobs_by_run ON jobs (run_id);
CREATE INDEX jobs_due ON jobs (state, next_attempt_at);

CREATE TABLE executions (
  execution_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  ended_at BIGINT,
  exit_code INTEGER,
  error TEXT,
  pipeline_id TEXT,
  node TEXT,
  owner TEXT NOT NULL
);
CREATE INDEX executions_by_run ON executions (run_id);
CREATE INDEX executions_by_status ON executions (owner, status);
CREATE INDEX executions_by_pipeline ON executions (pipeline_id);

CREATE TABLE execution_logs (
  seq BIGSERIAL PRIMARY KEY,
  execution_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  stream TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX execution_logs_by_execution ON execution_logs (execution_id, seq);

CREATE TABLE pipelines (
  pipeline_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  ended_at BIGINT,
  error TEXT,
  owner TEXT NOT NULL
);
CREATE INDEX pipelines_by_run ON pipelines (run_id);
CREATE INDEX pipelines_by_status ON pipelines (owner, status);

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`,
  `
ALTER TABLE requests ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN last_at BIGINT;
ALTER TABLE requests ADD COLUMN unauthenticated_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE request_raw ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
`,
  `
CREATE TABLE follows (
  remote_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  run_id TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  next_check_at BIGINT NOT NULL,
  checks INTEGER NOT NULL DEFAULT 0,
  lease_until BIGINT
);
CREATE INDEX follows_due ON follows (next_check_at);
`,
  `
ALTER TABLE requests ADD COLUMN revision BIGINT;
CREATE TABLE trigger_defs (
  id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  revision BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE TABLE trigger_revisions (
  id TEXT NOT NULL,
  revision BIGINT NOT NULL UNIQUE,
  at BIGINT NOT NULL,
  by TEXT NOT NULL,
  diff TEXT NOT NULL,
  config TEXT,
  paused INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (id, revision)
);
`,  `
ALTER TABLE requests ADD COLUMN answer TEXT;
ALTER TABLE requests ADD COLUMN answer_ms BIGINT;
`,
  // How many launches each trigger ever had: an upper bound on those in any rate-limit window, so a
  // quota far above it (millions per hour) costs no scan of the window. Counted by the database on
  // every insert, whoever writes it; purged runs leave it high, which keeps it an upper bound.
  `
CREATE TABLE launch_counts (trigger_id TEXT PRIMARY KEY, launches BIGINT NOT NULL);
CREATE FUNCTION hooklaunch_count_launches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO launch_counts (trigger_id, launches) SELECT trigger_id, COUNT(*) FROM inserted_runs GROUP BY trigger_id
  ON CONFLICT (trigger_id) DO UPDATE SET launches = launch_counts.launches + EXCLUDED.launches;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_count_launches AFTER INSERT ON runs REFERENCING NEW TABLE AS inserted_runs FOR EACH STATEMENT EXECUTE FUNCTION hooklaunch_count_launches();
INSERT INTO launch_counts (trigger_id, launches) SELECT trigger_id, COUNT(*) FROM runs GROUP BY trigger_id;
`,
  // What a group commit reads before deciding its accepts, in one round trip: the batch's triggers
  // locked until commit (sorted, so two instances never deadlock), then the dedupe rows of its keys
  // and, per rate-limit window, the slice of launches around the quota-th newest (a trigger with
  // no more launches than the slice skips is not scanned). VOLATILE: the lookup gets a snapshot of
  // its own, taken after the locks are held, so it sees every commit made under them.
  `
CREATE FUNCTION hooklaunch_accept_lookup(locked TEXT[], dedupe_triggers TEXT[], dedupe_keys TEXT[], alive_after BIGINT, window_triggers TEXT[], window_since BIGINT[], window_skip BIGINT[], window_take BIGINT[])
RETURNS TABLE (window_index BIGINT, found_trigger TEXT, found_key TEXT, found_run TEXT, found_at BIGINT) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(sorted.h) FROM (SELECT hashtext(t) AS h FROM unnest(locked) AS t ORDER BY t) AS sorted;
  RETURN QUERY
    SELECT 0::BIGINT, d.trigger_id, d.dedupe_key, d.run_id, d.expires_at
    FROM unnest(dedupe_triggers, dedupe_keys) AS k(tid, dkey) JOIN dedupe d ON d.trigger_id = k.tid AND d.dedupe_key = k.dkey
    WHERE d.expires_at > alive_after
    UNION ALL
    SELECT w.i, NULL, NULL, NULL, r.accepted_at
    FROM unnest(window_triggers, window_since, window_skip, window_take) WITH ORDINALITY AS w(tid, since, skip, take, i)
    CROSS JOIN LATERAL (
      SELECT runs.accepted_at FROM runs WHERE runs.trigger_id = w.tid AND runs.accepted_at > w.since
      ORDER BY runs.accepted_at DESC OFFSET w.skip LIMIT w.take) AS r
    WHERE COALESCE((SELECT c.launches FROM launch_counts c WHERE c.trigger_id = w.tid), 0) > w.skip;
END $$;
`,
  // Batches (issue #17): deliveries gathered into one launch; a batch's run exists once it launched.
  `
ALTER TABLE runs ADD COLUMN batch_id TEXT;
CREATE TABLE batches (
  batch_id TEXT PRIMARY KEY,
  trigger_id TEXT NOT NULL,
  batch_key TEXT NOT NULL,
  run_id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  items INTEGER NOT NULL,
  max_items INTEGER NOT NULL,
  bytes BIGINT NOT NULL,
  max_bytes BIGINT NOT NULL,
  window_ms BIGINT NOT NULL,
  quiet_ms BIGINT,
  opened_at BIGINT NOT NULL,
  last_at BIGINT NOT NULL,
  closes_at BIGINT NOT NULL,
  closed_at BIGINT,
  close_reason TEXT,
  note TEXT,
  actions TEXT NOT NULL,
  first_request_id TEXT NOT NULL
);
CREATE INDEX batches_open ON batches (trigger_id, batch_key, opened_at) WHERE state = 'open';
CREATE INDEX batches_due ON batches (closes_at) WHERE state <> 'launched';
CREATE INDEX batches_by_trigger ON batches (trigger_id, opened_at);
CREATE TABLE batch_items (
  batch_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  content_type TEXT NOT NULL,
  payload BYTEA NOT NULL,
  PRIMARY KEY (batch_id, position)
);
CREATE INDEX batch_items_by_request ON batch_items (request_id);
`,
  // Payloads compressed with lz4 where the server has it (PostgreSQL 14+ built with lz4, as
  // Debian's and the official images are): the default pglz costs several times the CPU per
  // stored payload, on the server every instance waits on (issue #14). A server without lz4
  // keeps pglz; rows already stored keep the compression they were written with.
  `
DO $$
BEGIN
  ALTER TABLE runs ALTER COLUMN payload SET COMPRESSION lz4;
  ALTER TABLE batch_items ALTER COLUMN payload SET COMPRESSION lz4;
  ALTER TABLE request_raw ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
  NULL;
END $$;
`,
  // Expired dedupe rows found by time, not by reading the whole table (as on SQLite).
  `
CREATE INDEX dedupe_by_expiry ON dedupe (expires_at);
`,
  // What each sender got back, in a table of its own (issue #14): written a second after the
  // request's line, an UPDATE of that line copied the whole row to a new page (rows are appended,
  // pages are full, so never a HOT update) and inserted it again into all five indexes of
  // requests; it cost about a quarter of PostgreSQL's CPU per accept. An insert here is one narrow
  // row and one index entry.
  `
CREATE TABLE request_answers (
  request_id TEXT PRIMARY KEY,
  answer TEXT NOT NULL,
  answer_ms BIGINT NOT NULL
);
INSERT INTO request_answers (request_id, answer, answer_ms) SELECT request_id, answer, COALESCE(answer_ms, 0) FROM requests WHERE answer IS NOT NULL;
ALTER TABLE requests DROP COLUMN answer, DROP COLUMN answer_ms;
`,
  // Accepted requests leave requests_by_outcome (issue #14: one B-tree insert less per accept, as on
  // SQLite). A trigger's accepted requests are most of its log, found newest first through
  // requests_by_trigger; the other outcomes, rare among them, through this index.
  `
DROP INDEX requests_by_outcome;
CREATE INDEX requests_by_outcome ON requests (trigger_id, outcome, seq) WHERE outcome <> 'accepted';
`,
];
