-- Evaluator schema v1: suite snapshots, runs and their per-item results, quality scores,
-- validation verdicts and online (sampled live) exchanges. The evaluator's tables only.
-- Money is integer nano-USD (bigint); times are timestamptz (UTC).

-- A snapshot of every suite file version the evaluator has loaded, so a run resumed after the
-- file changed still scores exactly the items it started with.
CREATE TABLE suites (
  name           text NOT NULL,
  version        text NOT NULL,
  content_sha256 text NOT NULL,
  description    text NOT NULL DEFAULT '',
  item_count     integer NOT NULL,
  scorers        jsonb NOT NULL,
  items          jsonb NOT NULL,
  loaded_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version, content_sha256)
);

CREATE TABLE runs (
  run_id          text PRIMARY KEY,
  -- StartRun's idempotency key (validation runs use 'validate:<request_id>'); NULL when none was given.
  request_id      text UNIQUE,
  -- 'run' (StartRun) or 'validation' (ValidateModel).
  purpose         text NOT NULL DEFAULT 'run' CHECK (purpose IN ('run', 'validation')),
  -- For validation runs: {"candidate", "incumbent", "tolerance"}.
  validation      jsonb,
  suite_name      text NOT NULL,
  suite_version   text NOT NULL,
  suite_sha256    text NOT NULL,
  models          jsonb NOT NULL,
  concurrency     integer NOT NULL CHECK (concurrency BETWEEN 1 AND 64),
  item_timeout_ms integer NOT NULL CHECK (item_timeout_ms > 0),
  item_limit      integer NOT NULL DEFAULT 0,
  -- Items x models.
  total           integer NOT NULL,
  state           text NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  error_message   text NOT NULL DEFAULT '',
  -- Aggregates frozen when the run ends (JSON of ModelAggregate rows); NULL while running.
  aggregates      jsonb,
  -- Which evaluator instance executes the run, and until when its claim holds without a heartbeat.
  lease_owner     text,
  lease_until     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  ended_at        timestamptz
);
CREATE INDEX runs_active ON runs (state) WHERE state IN ('pending', 'running');

-- One row per (run, item, model): the primary key is the resumability guarantee. A result is
-- inserted once (ON CONFLICT DO NOTHING), and a resumed run only works on the pairs missing here.
CREATE TABLE run_items (
  run_id           text NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  item_id          text NOT NULL,
  model            text NOT NULL,
  item_index       integer NOT NULL,
  task_class       text NOT NULL,
  -- NULL exactly when error_message is set.
  score            double precision CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
  explanation      text NOT NULL DEFAULT '',
  error_message    text,
  -- The model's answer (suite content, not live traffic), cut to a few KB.
  output           text NOT NULL DEFAULT '',
  cost_nanos       bigint NOT NULL DEFAULT 0,
  judge_cost_nanos bigint NOT NULL DEFAULT 0,
  latency_ms       integer NOT NULL DEFAULT 0,
  attempts         integer NOT NULL DEFAULT 1,
  scored_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, item_id, model),
  CHECK ((score IS NULL) <> (error_message IS NULL))
);
CREATE INDEX run_items_order ON run_items (run_id, item_index, model);

-- Evidence behind the quality the router reads, per model x task class and source: 'suite:<name>'
-- rows are replaced by each finished run of that suite; the 'online' row is recomputed from
-- online_exchanges over a sliding window.
CREATE TABLE quality_scores (
  model        text NOT NULL,
  task_class   text NOT NULL,
  source       text NOT NULL,
  sample_count bigint NOT NULL CHECK (sample_count >= 0),
  score_sum    double precision NOT NULL,
  score_sq_sum double precision NOT NULL,
  -- Every score was 0 or 1 (the CI is then a Wilson interval).
  all_binary   boolean NOT NULL,
  run_id       text,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, task_class, source)
);

CREATE TABLE verdicts (
  verdict_id  text PRIMARY KEY,
  request_id  text UNIQUE,
  candidate   text NOT NULL,
  incumbent   text NOT NULL,
  suite       text NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('pass', 'fail')),
  tolerance   double precision NOT NULL,
  reason      text NOT NULL,
  run_id      text NOT NULL UNIQUE REFERENCES runs (run_id),
  -- Candidate and incumbent aggregates (overall and per task class) as JSON.
  evidence    jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verdicts_candidate ON verdicts (candidate, created_at DESC);

-- Sampled live exchanges: never the conversation or the reply (those stay in memory while queued),
-- only who, which model, the task class, the score and the judge's short reason.
CREATE TABLE online_exchanges (
  request_id       text PRIMARY KEY,
  team_id          text NOT NULL,
  model            text NOT NULL,
  task_class       text NOT NULL,
  method           text NOT NULL CHECK (method IN ('judge', 'shadow')),
  score            double precision CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
  explanation      text NOT NULL DEFAULT '',
  error_message    text,
  judge_cost_nanos bigint NOT NULL DEFAULT 0,
  received_at      timestamptz NOT NULL DEFAULT now(),
  scored_at        timestamptz
);
CREATE INDEX online_exchanges_window ON online_exchanges (model, task_class, scored_at);
