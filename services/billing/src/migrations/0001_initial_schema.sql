-- Billing schema v1: teams, the price catalog, the usage ledger, budgets and budget holds.
-- Money is integer nano-USD (bigint) everywhere; times are timestamptz (UTC).

CREATE TABLE teams (
  team_id        text PRIMARY KEY,
  display_name   text NOT NULL DEFAULT '',
  -- "provider/model" the team's savings are measured against; '' means the served model itself.
  baseline_model text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE prices (
  provider                    text NOT NULL,
  model                       text NOT NULL,
  -- '' means every deployment of the model.
  deployment                  text NOT NULL DEFAULT '',
  effective_from              timestamptz NOT NULL,
  -- NULL means open-ended.
  effective_until             timestamptz,
  version                     text NOT NULL,
  input_nanos_per_mtok        bigint NOT NULL CHECK (input_nanos_per_mtok >= 0),
  output_nanos_per_mtok       bigint NOT NULL CHECK (output_nanos_per_mtok >= 0),
  cached_input_nanos_per_mtok bigint NOT NULL CHECK (cached_input_nanos_per_mtok >= 0),
  capacity_nanos_per_hour     bigint NOT NULL DEFAULT 0 CHECK (capacity_nanos_per_hour >= 0),
  capacity_tokens_per_hour    bigint,
  self_hosted                 boolean NOT NULL DEFAULT false,
  source                      text NOT NULL DEFAULT '',
  note                        text NOT NULL DEFAULT '',
  created_at                  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, model, deployment, effective_from),
  CHECK (effective_until IS NULL OR effective_until > effective_from)
);

-- Bumped on every price change so each replica knows when to reload its in-memory catalog.
CREATE TABLE price_catalog_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  revision  bigint NOT NULL
);
INSERT INTO price_catalog_state (singleton, revision) VALUES (true, 0);

-- UpsertPrices is idempotent by request id (AIP-155).
CREATE TABLE price_upserts (
  request_id   text PRIMARY KEY,
  content_hash text NOT NULL,
  written      integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per served request; request_id is the idempotency key. team_id is checked against
-- teams by the service (teams are never deleted), not by a foreign key: a per-row RI trigger
-- costs about a fifth of ingest throughput.
CREATE TABLE usage_ledger (
  request_id             text PRIMARY KEY,
  time                   timestamptz NOT NULL,
  team_id                text NOT NULL,
  project                text NOT NULL DEFAULT '',
  feature_tags           text[] NOT NULL DEFAULT '{}',
  end_user_id            text NOT NULL DEFAULT '',
  provider               text NOT NULL,
  model                  text NOT NULL,
  deployment             text NOT NULL DEFAULT '',
  input_tokens           bigint NOT NULL CHECK (input_tokens >= 0),
  output_tokens          bigint NOT NULL CHECK (output_tokens >= 0),
  cached_input_tokens    bigint NOT NULL CHECK (cached_input_tokens >= 0),
  reasoning_tokens       bigint NOT NULL CHECK (reasoning_tokens >= 0),
  cost_nanos             bigint NOT NULL CHECK (cost_nanos >= 0),
  price_version          text NOT NULL,
  baseline_model         text NOT NULL,
  baseline_cost_nanos    bigint NOT NULL CHECK (baseline_cost_nanos >= 0),
  baseline_price_version text NOT NULL,
  latency_micros         bigint NOT NULL CHECK (latency_micros >= 0),
  outcome                smallint NOT NULL,
  reservation_id         text NOT NULL DEFAULT '',
  route_rule             text NOT NULL DEFAULT '',
  -- SHA-256 of the row as sent (before pricing): a replay with the same id compares one column.
  content_hash           text NOT NULL,
  recorded_at            timestamptz NOT NULL DEFAULT now()
);
-- Team queries (spend, savings, budget backfill) use the btree; all-team time ranges (admin
-- queries, capacity attribution) use a BRIN on time, which rows arriving roughly in time order keep
-- small and nearly free to maintain.
CREATE INDEX usage_ledger_team_time ON usage_ledger (team_id, time);
CREATE INDEX usage_ledger_time_brin ON usage_ledger USING brin (time);

-- A budget per team (project '') or per team project; one period each.
CREATE TABLE budgets (
  team_id     text NOT NULL REFERENCES teams (team_id),
  project     text NOT NULL DEFAULT '',
  -- 1 = UTC day, 2 = UTC month (billing.v1.BudgetPeriod).
  period      smallint NOT NULL CHECK (period IN (1, 2)),
  limit_nanos bigint NOT NULL CHECK (limit_nanos > 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, project)
);

-- What a budget has spent and holds in one period. The conditional UPDATE on this row is the
-- atomic check-and-hold.
CREATE TABLE budget_usage (
  team_id        text NOT NULL,
  project        text NOT NULL,
  period_start   timestamptz NOT NULL,
  spent_nanos    bigint NOT NULL DEFAULT 0,
  reserved_nanos bigint NOT NULL DEFAULT 0 CHECK (reserved_nanos >= 0),
  PRIMARY KEY (team_id, project, period_start)
);

-- Budget holds. status: held → settled (SettleBudget) → recorded (its usage row arrived),
-- held → recorded, held → expired.
CREATE TABLE reservations (
  reservation_id       text PRIMARY KEY,
  request_id           text NOT NULL UNIQUE,
  team_id              text NOT NULL,
  project              text NOT NULL DEFAULT '',
  amount_nanos         bigint NOT NULL CHECK (amount_nanos > 0),
  -- The budget_usage rows this hold was added to (NULL when that budget did not exist).
  team_period_start    timestamptz,
  project_period_start timestamptz,
  status               text NOT NULL CHECK (status IN ('held', 'settled', 'expired', 'recorded')),
  -- The cost SettleBudget added to spent (NULL until settled).
  actual_nanos         bigint,
  created_at           timestamptz NOT NULL,
  expires_at           timestamptz NOT NULL,
  settled_at           timestamptz
);
CREATE INDEX reservations_held_expiry ON reservations (expires_at) WHERE status = 'held';
CREATE INDEX reservations_team_held ON reservations (team_id, expires_at) WHERE status = 'held';
