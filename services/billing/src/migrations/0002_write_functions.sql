-- Billing's writes as server-side functions: a RecordUsage batch, a ReserveBudget, a SettleBudget and a
-- sweep of expired holds are each ONE statement (one round trip, atomic: its own transaction when called
-- outside one) instead of five to nine. The statements inside are the set-based ones the service used
-- to send one by one, in the same lock order, so concurrent callers on any number of replicas never
-- deadlock: budget_usage rows are created in (team, project, period) order, then ledger rows in
-- request-id order, then reservations, then budget_usage rows are locked in (team, project, period) order.
-- Every function runs in READ COMMITTED, so each statement inside sees what committed before it began.
-- Functions that run statements are PL/pgSQL, which keeps their plans for the session; PostgreSQL
-- before 18 parses and plans the body of a non-inlined SQL function on every call.

-- Start of the UTC day or month (billing.v1.BudgetPeriod: 1 = day, 2 = month) containing p_at.
CREATE FUNCTION billing_period_start(p_period smallint, p_at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_trunc(CASE p_period WHEN 1 THEN 'day' ELSE 'month' END, p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

-- Start of the period after the one containing p_at.
CREATE FUNCTION billing_period_end(p_period smallint, p_at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (date_trunc(CASE p_period WHEN 1 THEN 'day' ELSE 'month' END, p_at AT TIME ZONE 'UTC')
          + CASE p_period WHEN 1 THEN interval '1 day' ELSE interval '1 month' END) AT TIME ZONE 'UTC'
$$;

-- Creates the budget_usage rows that spend by (team, project) at these times falls under (the team's
-- budget and the project's, in the period of each time) where missing. A new row starts with what the
-- ledger already holds for that budget and period, so a budget set mid-period counts earlier spend. An
-- existing row is neither summed nor locked.
CREATE FUNCTION billing_ensure_budget_usage(p_team_ids text[], p_projects text[], p_times timestamptz[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO budget_usage (team_id, project, period_start, spent_nanos, reserved_nanos)
  SELECT k.team_id, k.project, k.period_start,
         (SELECT COALESCE(SUM(l.cost_nanos), 0) FROM usage_ledger l
           WHERE l.team_id = k.team_id AND (k.project = '' OR l.project = k.project)
             AND l.time >= k.period_start AND l.time < billing_period_end(k.period, k.period_start)),
         0
  FROM (SELECT DISTINCT b.team_id, b.project, b.period, billing_period_start(b.period, r.time) AS period_start
        FROM unnest(p_team_ids, p_projects, p_times) AS r(team_id, project, time)
        JOIN budgets b ON b.team_id = r.team_id AND (b.project = '' OR b.project = r.project)) AS k
  WHERE NOT EXISTS (SELECT 1 FROM budget_usage u WHERE u.team_id = k.team_id AND u.project = k.project AND u.period_start = k.period_start)
  ORDER BY k.team_id COLLATE "C", k.project COLLATE "C", k.period_start
  ON CONFLICT (team_id, project, period_start) DO NOTHING;
END
$$;

-- Adds spent/reserved deltas to existing budget_usage rows (deltas of the same row are summed; rows
-- whose sum is zero are left alone): locks the rows in the global order first, then updates them.
CREATE FUNCTION billing_apply_budget_deltas(p_team_ids text[], p_projects text[], p_period_starts timestamptz[], p_spent bigint[], p_reserved bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM budget_usage u
  JOIN (SELECT d.team_id, d.project, d.period_start
        FROM unnest(p_team_ids, p_projects, p_period_starts, p_spent, p_reserved) AS d(team_id, project, period_start, spent, reserved)
        GROUP BY 1, 2, 3 HAVING SUM(d.spent) <> 0 OR SUM(d.reserved) <> 0) AS k
    ON u.team_id = k.team_id AND u.project = k.project AND u.period_start = k.period_start
  ORDER BY u.team_id COLLATE "C", u.project COLLATE "C", u.period_start
  FOR UPDATE OF u;
  UPDATE budget_usage u SET spent_nanos = u.spent_nanos + k.spent, reserved_nanos = u.reserved_nanos + k.reserved
  FROM (SELECT d.team_id, d.project, d.period_start, SUM(d.spent)::bigint AS spent, SUM(d.reserved)::bigint AS reserved
        FROM unnest(p_team_ids, p_projects, p_period_starts, p_spent, p_reserved) AS d(team_id, project, period_start, spent, reserved)
        GROUP BY 1, 2, 3 HAVING SUM(d.spent) <> 0 OR SUM(d.reserved) <> 0) AS k
  WHERE u.team_id = k.team_id AND u.project = k.project AND u.period_start = k.period_start;
END
$$;

-- Smallest limit − spent − reserved over a hold's budget_usage rows (its team's at p_team_start, its
-- project's at p_project_start; NULL means that budget did not exist), or -1 when there are none.
CREATE FUNCTION billing_hold_remaining(p_team_id text, p_project text, p_team_start timestamptz, p_project_start timestamptz) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT COALESCE(MIN(b.limit_nanos - u.spent_nanos - u.reserved_nanos), -1)
          FROM budget_usage u JOIN budgets b ON b.team_id = u.team_id AND b.project = u.project
          WHERE u.team_id = p_team_id
            AND ((u.project = '' AND u.period_start = p_team_start) OR (u.project = p_project AND u.period_start = p_project_start)));
END
$$;

-- One RecordUsage batch: the priced, validated rows as column arrays (one element per row, request ids
-- unique and sorted; feature tags joined by U+001F). Inserts the new rows, closes the budget holds they
-- settle and adds their spend to the budgets, atomically. Returns the stored rows of the request ids
-- that were NOT inserted because they already existed (a conflict means a committed row with that id
-- exists, and ledger rows are never deleted): every other id of the batch was inserted by this call.
CREATE FUNCTION billing_record_usage(
  p_request_ids text[], p_times timestamptz[], p_team_ids text[], p_projects text[], p_feature_tags text[],
  p_end_user_ids text[], p_providers text[], p_models text[], p_deployments text[],
  p_input_tokens bigint[], p_output_tokens bigint[], p_cached_input_tokens bigint[], p_reasoning_tokens bigint[],
  p_cost_nanos bigint[], p_price_versions text[], p_baseline_models text[], p_baseline_cost_nanos bigint[],
  p_baseline_price_versions text[], p_latency_micros bigint[], p_outcomes smallint[], p_reservation_ids text[],
  p_route_rules text[], p_content_hashes text[], p_now timestamptz
) RETURNS SETOF usage_ledger
LANGUAGE plpgsql AS $$
DECLARE
  -- The rows this call inserted.
  v_ids text[]; v_teams text[]; v_projects text[]; v_times timestamptz[]; v_costs bigint[]; v_reservations text[];
  -- The holds they close, as locked: id, owner, amount, SettleBudget's actual, status before, held rows.
  v_hold_ids text[]; v_hold_teams text[]; v_hold_projects text[]; v_hold_amounts bigint[]; v_hold_actuals bigint[];
  v_hold_statuses text[]; v_hold_team_starts timestamptz[]; v_hold_project_starts timestamptz[];
BEGIN
  PERFORM billing_ensure_budget_usage(p_team_ids, p_projects, p_times);

  WITH inserted AS (
    INSERT INTO usage_ledger (request_id, time, team_id, project, feature_tags, end_user_id, provider, model, deployment,
      input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cost_nanos, price_version, baseline_model,
      baseline_cost_nanos, baseline_price_version, latency_micros, outcome, reservation_id, route_rule, content_hash)
    SELECT r.request_id, r.time, r.team_id, r.project, string_to_array(r.feature_tags, E'\x1f'), r.end_user_id, r.provider, r.model,
      r.deployment, r.input_tokens, r.output_tokens, r.cached_input_tokens, r.reasoning_tokens, r.cost_nanos, r.price_version,
      r.baseline_model, r.baseline_cost_nanos, r.baseline_price_version, r.latency_micros, r.outcome, r.reservation_id, r.route_rule,
      r.content_hash
    -- Set-returning functions in the select list advance in lockstep without materializing each array
    -- (unnest(a, b, ...) in FROM builds a tuplestore per array: twice the cost for a 1000-row batch).
    FROM (SELECT unnest(p_request_ids) AS request_id, unnest(p_times) AS time, unnest(p_team_ids) AS team_id, unnest(p_projects) AS project,
                 unnest(p_feature_tags) AS feature_tags, unnest(p_end_user_ids) AS end_user_id, unnest(p_providers) AS provider,
                 unnest(p_models) AS model, unnest(p_deployments) AS deployment, unnest(p_input_tokens) AS input_tokens,
                 unnest(p_output_tokens) AS output_tokens, unnest(p_cached_input_tokens) AS cached_input_tokens,
                 unnest(p_reasoning_tokens) AS reasoning_tokens, unnest(p_cost_nanos) AS cost_nanos, unnest(p_price_versions) AS price_version,
                 unnest(p_baseline_models) AS baseline_model, unnest(p_baseline_cost_nanos) AS baseline_cost_nanos,
                 unnest(p_baseline_price_versions) AS baseline_price_version, unnest(p_latency_micros) AS latency_micros,
                 unnest(p_outcomes) AS outcome, unnest(p_reservation_ids) AS reservation_id, unnest(p_route_rules) AS route_rule,
                 unnest(p_content_hashes) AS content_hash, generate_series(1, cardinality(p_request_ids)) AS ordinal) AS r
    ORDER BY r.ordinal
    ON CONFLICT (request_id) DO NOTHING
    RETURNING request_id, team_id, project, time, cost_nanos, reservation_id
  )
  SELECT array_agg(i.request_id), array_agg(i.team_id), array_agg(i.project), array_agg(i.time), array_agg(i.cost_nanos), array_agg(i.reservation_id)
  INTO v_ids, v_teams, v_projects, v_times, v_costs, v_reservations
  FROM inserted i;

  IF v_ids IS NOT NULL THEN
    -- The holds the new rows close: the one a row names by reservation_id, else the one reserved under
    -- its request id; of the same team. Only rows under some budget can have taken a hold's budget rows,
    -- so only they are matched. Locked (reservations before budget rows) and read as locked.
    WITH budgeted AS (
      SELECT i.request_id, i.team_id, i.reservation_id
      FROM unnest(v_ids, v_teams, v_projects, v_reservations) AS i(request_id, team_id, project, reservation_id)
      WHERE EXISTS (SELECT 1 FROM budgets b WHERE b.team_id = i.team_id AND (b.project = '' OR b.project = i.project))
    ),
    closing AS (
      SELECT r.reservation_id, r.team_id, r.project, r.amount_nanos, r.actual_nanos, r.status, r.team_period_start, r.project_period_start
      FROM reservations r
      WHERE (r.reservation_id = ANY(ARRAY(SELECT b.reservation_id FROM budgeted b WHERE b.reservation_id <> ''))
             OR r.request_id = ANY(ARRAY(SELECT b.request_id FROM budgeted b WHERE b.reservation_id = '')))
        AND ((r.reservation_id, r.team_id) IN (SELECT b.reservation_id, b.team_id FROM budgeted b WHERE b.reservation_id <> '')
             OR (r.request_id, r.team_id) IN (SELECT b.request_id, b.team_id FROM budgeted b WHERE b.reservation_id = ''))
      ORDER BY r.reservation_id COLLATE "C"
      FOR UPDATE OF r
    )
    SELECT array_agg(c.reservation_id), array_agg(c.team_id), array_agg(c.project), array_agg(c.amount_nanos), array_agg(c.actual_nanos),
           array_agg(c.status), array_agg(c.team_period_start), array_agg(c.project_period_start)
    INTO v_hold_ids, v_hold_teams, v_hold_projects, v_hold_amounts, v_hold_actuals, v_hold_statuses, v_hold_team_starts, v_hold_project_starts
    FROM closing c;

    UPDATE reservations r SET status = 'recorded', settled_at = COALESCE(r.settled_at, p_now)
    WHERE r.reservation_id = ANY(v_hold_ids) AND r.status <> 'recorded';

    -- Budget changes: each new row's cost to every budget it falls under (in the period of its time); a
    -- held reservation releases its hold; a settled one gives back the actual SettleBudget counted (the
    -- row's cost replaces it); expired or already recorded ones change nothing.
    PERFORM billing_apply_budget_deltas(array_agg(d.team_id), array_agg(d.project), array_agg(d.period_start), array_agg(d.spent), array_agg(d.reserved))
    FROM (
      SELECT b.team_id, b.project, billing_period_start(b.period, i.time) AS period_start, i.cost AS spent, 0::bigint AS reserved
      FROM unnest(v_teams, v_projects, v_times, v_costs) AS i(team_id, project, time, cost)
      JOIN budgets b ON b.team_id = i.team_id AND (b.project = '' OR b.project = i.project)
      UNION ALL
      SELECT h.team_id, k.project, k.period_start,
             CASE h.status WHEN 'settled' THEN -COALESCE(h.actual, 0) ELSE 0 END,
             CASE h.status WHEN 'held' THEN -h.amount ELSE 0 END
      FROM unnest(v_hold_teams, v_hold_projects, v_hold_amounts, v_hold_actuals, v_hold_statuses, v_hold_team_starts, v_hold_project_starts)
             AS h(team_id, project, amount, actual, status, team_start, project_start)
      CROSS JOIN LATERAL (VALUES ('', h.team_start), (h.project, h.project_start)) AS k(project, period_start)
      WHERE k.period_start IS NOT NULL AND h.status IN ('held', 'settled')
    ) AS d;
  END IF;

  IF cardinality(v_ids) IS DISTINCT FROM cardinality(p_request_ids) THEN
    RETURN QUERY SELECT l.* FROM usage_ledger l
      WHERE l.request_id = ANY(ARRAY(SELECT unnest(p_request_ids) EXCEPT SELECT unnest(v_ids)));
  END IF;
END
$$;

-- One ReserveBudget: holds p_amount against every budget of the team that applies (the team's, and
-- the project's if p_project is set) in the period of p_now, or against none. One row, `result`:
--   'served'    the ledger holds a successful row (outcome p_success) of this team under the request id
--               (served_at); nothing is held;
--   'existing'  a hold under this request id exists already (an idempotent retry, or the winner of a
--               concurrent identical request): its fields; the caller checks team, project and amount;
--   'granted'   the new hold p_reservation_id; remaining_nanos is the smallest remaining amount over
--               the budgets held, after it, or -1 when no budget applies;
-- or, when the hold does not fit some budget, one row per applicable budget, result 'exhausted', with
-- that budget's state (the caller names the violated ones); nothing is held.
-- All-or-nothing across the budgets: their rows are locked first (team before project), checked, and
-- only then updated, so concurrent holds on any replica can never overshoot.
CREATE FUNCTION billing_reserve(p_reservation_id text, p_request_id text, p_team_id text, p_project text, p_amount bigint,
                                p_now timestamptz, p_expires_at timestamptz, p_success smallint)
RETURNS TABLE (result text, hold_id text, hold_team_id text, hold_project text, hold_amount_nanos bigint, hold_expires_at timestamptz,
               remaining_nanos bigint, served_at timestamptz, budget_project text, budget_period smallint, budget_limit_nanos bigint,
               budget_spent_nanos bigint, budget_reserved_nanos bigint, budget_period_start timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_hold reservations%ROWTYPE;
  -- The applicable budgets' rows for this period, as locked.
  v_projects text[]; v_periods smallint[]; v_starts timestamptz[]; v_limits bigint[]; v_spent bigint[]; v_reserved bigint[];
  -- How many budgets apply.
  v_budgets bigint;
BEGIN
  SELECT l.recorded_at INTO served_at FROM usage_ledger l
  WHERE l.request_id = p_request_id AND l.team_id = p_team_id AND l.outcome = p_success;
  IF FOUND THEN
    result := 'served';
    RETURN NEXT;
    RETURN;
  END IF;

  SELECT * INTO v_hold FROM reservations r WHERE r.request_id = p_request_id;
  IF NOT FOUND THEN
    -- Lock the applicable budgets' rows of this period (team row first). A budget's first use in a
    -- period has no row yet: create the missing rows, then lock again (a second pass always finds them).
    FOR pass IN 1 .. 2 LOOP
      SELECT array_agg(k.project), array_agg(k.period), array_agg(k.period_start), array_agg(k.limit_nanos), array_agg(k.spent_nanos), array_agg(k.reserved_nanos),
             (SELECT count(*) FROM budgets b WHERE b.team_id = p_team_id AND (b.project = '' OR b.project = p_project))
      INTO v_projects, v_periods, v_starts, v_limits, v_spent, v_reserved, v_budgets
      FROM (SELECT u.project, b.period, u.period_start, b.limit_nanos, u.spent_nanos, u.reserved_nanos
            FROM budgets b JOIN budget_usage u ON u.team_id = b.team_id AND u.project = b.project AND u.period_start = billing_period_start(b.period, p_now)
            WHERE b.team_id = p_team_id AND (b.project = '' OR b.project = p_project)
            ORDER BY u.project COLLATE "C"
            FOR UPDATE OF u) AS k;
      EXIT WHEN COALESCE(cardinality(v_projects), 0) = v_budgets OR pass = 2;
      PERFORM billing_ensure_budget_usage(ARRAY[p_team_id], ARRAY[p_project], ARRAY[p_now]);
    END LOOP;

    IF EXISTS (SELECT 1 FROM unnest(v_limits, v_spent, v_reserved) AS k(limit_nanos, spent, reserved) WHERE k.limit_nanos - k.spent - k.reserved < p_amount) THEN
      FOR i IN 1 .. cardinality(v_projects) LOOP
        result := 'exhausted';
        budget_project := v_projects[i];
        budget_period := v_periods[i];
        budget_period_start := v_starts[i];
        budget_limit_nanos := v_limits[i];
        budget_spent_nanos := v_spent[i];
        budget_reserved_nanos := v_reserved[i];
        RETURN NEXT;
      END LOOP;
      RETURN;
    END IF;

    INSERT INTO reservations (reservation_id, request_id, team_id, project, amount_nanos, team_period_start, project_period_start, status, created_at, expires_at)
    VALUES (p_reservation_id, p_request_id, p_team_id, p_project, p_amount,
            (SELECT k.start FROM unnest(v_projects, v_starts) AS k(project, start) WHERE k.project = ''),
            (SELECT k.start FROM unnest(v_projects, v_starts) AS k(project, start) WHERE k.project <> ''),
            'held', p_now, p_expires_at)
    ON CONFLICT (request_id) DO NOTHING;
    IF FOUND THEN
      -- The rows are locked by this transaction: what was checked is what is updated.
      UPDATE budget_usage u SET reserved_nanos = u.reserved_nanos + p_amount
      FROM unnest(v_projects, v_starts) AS k(project, start)
      WHERE u.team_id = p_team_id AND u.project = k.project AND u.period_start = k.start;
      result := 'granted';
      hold_id := p_reservation_id;
      hold_team_id := p_team_id;
      hold_project := p_project;
      hold_amount_nanos := p_amount;
      hold_expires_at := p_expires_at;
      remaining_nanos := COALESCE((SELECT MIN(k.limit_nanos - k.spent - k.reserved - p_amount) FROM unnest(v_limits, v_spent, v_reserved) AS k(limit_nanos, spent, reserved)), -1);
      RETURN NEXT;
      RETURN;
    END IF;
    -- A concurrent ReserveBudget with the same request id inserted first and has committed: its hold is the answer.
    SELECT * INTO v_hold FROM reservations r WHERE r.request_id = p_request_id;
  END IF;

  result := 'existing';
  hold_id := v_hold.reservation_id;
  hold_team_id := v_hold.team_id;
  hold_project := v_hold.project;
  hold_amount_nanos := v_hold.amount_nanos;
  hold_expires_at := v_hold.expires_at;
  remaining_nanos := billing_hold_remaining(v_hold.team_id, v_hold.project, v_hold.team_period_start, v_hold.project_period_start);
  RETURN NEXT;
END
$$;

-- One SettleBudget: replaces a held reservation's hold with the actual cost (reserved −= amount,
-- spent += actual). A hold past its expiry is released instead (the usage row, when it comes, counts
-- the cost); one already settled, recorded or expired changes nothing. No row when the reservation
-- does not exist; else one: result 'settled', 'expired' (released now) or 'unchanged', the hold's
-- owner, and the smallest remaining amount over its budgets (-1 when none).
CREATE FUNCTION billing_settle(p_reservation_id text, p_actual bigint, p_now timestamptz)
RETURNS TABLE (result text, hold_team_id text, hold_project text, remaining_nanos bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_hold reservations%ROWTYPE;
  v_spent bigint;
  v_team_remaining bigint;
  v_project_remaining bigint;
BEGIN
  SELECT * INTO v_hold FROM reservations r WHERE r.reservation_id = p_reservation_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  hold_team_id := v_hold.team_id;
  hold_project := v_hold.project;
  IF v_hold.status <> 'held' THEN
    result := 'unchanged';
    remaining_nanos := billing_hold_remaining(v_hold.team_id, v_hold.project, v_hold.team_period_start, v_hold.project_period_start);
    RETURN NEXT;
    RETURN;
  END IF;

  IF v_hold.expires_at <= p_now THEN
    UPDATE reservations r SET status = 'expired' WHERE r.reservation_id = p_reservation_id;
    result := 'expired';
    v_spent := 0;
  ELSE
    UPDATE reservations r SET status = 'settled', actual_nanos = p_actual, settled_at = p_now WHERE r.reservation_id = p_reservation_id;
    result := 'settled';
    v_spent := p_actual;
  END IF;
  -- The hold's budget rows, team row first (the global lock order), one statement each.
  UPDATE budget_usage u SET spent_nanos = u.spent_nanos + v_spent, reserved_nanos = u.reserved_nanos - v_hold.amount_nanos
  FROM budgets b
  WHERE u.team_id = v_hold.team_id AND u.project = '' AND u.period_start = v_hold.team_period_start AND b.team_id = u.team_id AND b.project = u.project
  RETURNING b.limit_nanos - u.spent_nanos - u.reserved_nanos INTO v_team_remaining;
  UPDATE budget_usage u SET spent_nanos = u.spent_nanos + v_spent, reserved_nanos = u.reserved_nanos - v_hold.amount_nanos
  FROM budgets b
  WHERE u.team_id = v_hold.team_id AND u.project = v_hold.project AND u.period_start = v_hold.project_period_start AND b.team_id = u.team_id AND b.project = u.project
  RETURNING b.limit_nanos - u.spent_nanos - u.reserved_nanos INTO v_project_remaining;
  remaining_nanos := COALESCE(LEAST(v_team_remaining, v_project_remaining), -1);
  RETURN NEXT;
END
$$;

-- Releases up to p_limit holds past their expiry at p_now (of one team, or of all when p_team_id is
-- NULL); returns how many. SKIP LOCKED: holds another replica is releasing or settling right now are
-- left to it, so every hold is released at most once however many replicas sweep.
CREATE FUNCTION billing_release_expired_holds(p_team_id text, p_limit integer, p_now timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_ids text[]; v_teams text[]; v_projects text[]; v_amounts bigint[]; v_team_starts timestamptz[]; v_project_starts timestamptz[];
BEGIN
  SELECT array_agg(e.reservation_id), array_agg(e.team_id), array_agg(e.project), array_agg(e.amount_nanos), array_agg(e.team_period_start), array_agg(e.project_period_start)
  INTO v_ids, v_teams, v_projects, v_amounts, v_team_starts, v_project_starts
  FROM (SELECT r.reservation_id, r.team_id, r.project, r.amount_nanos, r.team_period_start, r.project_period_start
        FROM reservations r
        WHERE r.status = 'held' AND r.expires_at <= p_now AND (p_team_id IS NULL OR r.team_id = p_team_id)
        ORDER BY r.reservation_id COLLATE "C" LIMIT p_limit
        FOR UPDATE SKIP LOCKED) AS e;
  IF v_ids IS NULL THEN
    RETURN 0;
  END IF;
  UPDATE reservations r SET status = 'expired' WHERE r.reservation_id = ANY(v_ids);
  PERFORM billing_apply_budget_deltas(array_agg(h.team_id), array_agg(k.project), array_agg(k.period_start), array_agg(0::bigint), array_agg(-h.amount))
  FROM unnest(v_teams, v_projects, v_amounts, v_team_starts, v_project_starts) AS h(team_id, project, amount, team_start, project_start)
  CROSS JOIN LATERAL (VALUES ('', h.team_start), (h.project, h.project_start)) AS k(project, period_start)
  WHERE k.period_start IS NOT NULL;
  RETURN cardinality(v_ids);
END
$$;
