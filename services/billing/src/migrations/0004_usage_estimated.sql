-- Usage the adapter estimated (the upstream reported none: a server without stream_options, a stream cut
-- before its usage chunk) is marked in the ledger, so finance can see and sum estimated spend.
--
-- usage_ledger.usage_estimated: false for every row recorded before this migration (nothing said
-- otherwise then). A constant default adds the column without rewriting the table.

ALTER TABLE usage_ledger
  ADD COLUMN usage_estimated boolean NOT NULL DEFAULT false;

-- billing_record_usage gains p_usage_estimated. CREATE OR REPLACE cannot change a function's arguments
-- (it would add an overload), so the 0003 version is dropped and this one created in its place; it is
-- 0003's function with the new column added, nothing else changed.
DROP FUNCTION billing_record_usage(
  text[], timestamptz[], text[], text[], text[], text[], text[], text[], text[],
  bigint[], bigint[], bigint[], bigint[],
  bigint[],
  bigint[], text[], text[], bigint[],
  text[], bigint[], smallint[], text[],
  text[], text[], timestamptz);

-- One RecordUsage batch: the priced, validated rows as column arrays (one element per row, request ids
-- unique and sorted; feature tags joined by U+001F). Inserts the new rows, closes the budget holds they
-- settle and adds their spend to the budgets, atomically. Returns the stored rows of the request ids
-- that were NOT inserted because they already existed (a conflict means a committed row with that id
-- exists, and ledger rows are never deleted): every other id of the batch was inserted by this call.
CREATE FUNCTION billing_record_usage(
  p_request_ids text[], p_times timestamptz[], p_team_ids text[], p_projects text[], p_feature_tags text[],
  p_end_user_ids text[], p_providers text[], p_models text[], p_deployments text[],
  p_input_tokens bigint[], p_output_tokens bigint[], p_cached_input_tokens bigint[], p_reasoning_tokens bigint[],
  p_cache_write_input_tokens bigint[], p_usage_estimated boolean[],
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
      input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cache_write_input_tokens, usage_estimated, cost_nanos, price_version, baseline_model,
      baseline_cost_nanos, baseline_price_version, latency_micros, outcome, reservation_id, route_rule, content_hash)
    SELECT r.request_id, r.time, r.team_id, r.project, string_to_array(r.feature_tags, E'\x1f'), r.end_user_id, r.provider, r.model,
      r.deployment, r.input_tokens, r.output_tokens, r.cached_input_tokens, r.reasoning_tokens, r.cache_write_input_tokens, r.usage_estimated, r.cost_nanos, r.price_version,
      r.baseline_model, r.baseline_cost_nanos, r.baseline_price_version, r.latency_micros, r.outcome, r.reservation_id, r.route_rule,
      r.content_hash
    -- Set-returning functions in the select list advance in lockstep without materializing each array
    -- (unnest(a, b, ...) in FROM builds a tuplestore per array: twice the cost for a 1000-row batch).
    FROM (SELECT unnest(p_request_ids) AS request_id, unnest(p_times) AS time, unnest(p_team_ids) AS team_id, unnest(p_projects) AS project,
                 unnest(p_feature_tags) AS feature_tags, unnest(p_end_user_ids) AS end_user_id, unnest(p_providers) AS provider,
                 unnest(p_models) AS model, unnest(p_deployments) AS deployment, unnest(p_input_tokens) AS input_tokens,
                 unnest(p_output_tokens) AS output_tokens, unnest(p_cached_input_tokens) AS cached_input_tokens,
                 unnest(p_reasoning_tokens) AS reasoning_tokens,
                 unnest(p_cache_write_input_tokens) AS cache_write_input_tokens, unnest(p_usage_estimated) AS usage_estimated,
                 unnest(p_cost_nanos) AS cost_nanos, unnest(p_price_versions) AS price_version,
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
