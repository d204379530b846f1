import { billing } from '@switchyard/contracts';
import type { Database } from '@switchyard/database';
import { attributeCapacity } from '@switchyard/pricing';
import { InvalidFieldError } from './billing-errors';
import { decodePageToken, encodePageToken, queryFingerprint, resolvePageSize, type PageCursor } from './page-token';
import type { PriceBook } from './price-book';

/** Common filter of the read queries. `teamId` undefined means every team (admins only). */
interface TimeRange {
  start?: Date;
  end?: Date;
}

/** One group of a spend query. */
export interface SpendGroup {
  group: Record<string, string>;
  requestCount: bigint;
  inputTokens: bigint;
  outputTokens: bigint;
  cachedInputTokens: bigint;
  reasoningTokens: bigint;
  cacheWriteInputTokens: bigint;
  costNanos: bigint;
  baselineCostNanos: bigint;
  /** Of costNanos, the spend on rows whose usage the adapter estimated (usage_estimated). */
  estimatedCostNanos: bigint;
}

/** One team-day of savings. */
export interface SavingsDay {
  teamId: string;
  day: string;
  actualNanos: bigint;
  baselineNanos: bigint;
  savedNanos: bigint;
  requestCount: bigint;
}

/** One team's share of one self-hosted deployment-hour. */
export interface CapacityShare {
  deployment: string;
  hourStart: Date;
  teamId: string;
  tokens: bigint;
  attributedNanos: bigint;
}

/** The read side of billing: spend, savings and capacity attribution, all paginated (AIP-158). */
export interface BillingQueries {
  /** Sums spend grouped by dimensions (in order), ordered by the group key. */
  querySpend(input: TimeRange & { teamId?: string; project?: string; groupBy: readonly billing.SpendDimension[]; pageSize: number; pageToken: string }): Promise<{ rows: SpendGroup[]; nextPageToken: string }>;
  /**
   * Actual cost vs the baseline model's counterfactual per team per UTC day. Actual cost includes
   * the team's attributed share of self-hosted capacity, so self-hosted models are not counted as free.
   */
  querySavings(input: TimeRange & { teamId?: string; pageSize: number; pageToken: string }): Promise<{ rows: SavingsDay[]; nextPageToken: string; total: SavingsDay }>;
  /** Self-hosted deployment-hours attributed to teams by token share; `visibleTeamId` hides other teams' rows (not their tokens). */
  queryCapacityCost(input: TimeRange & { deployment?: string; visibleTeamId?: string; pageSize: number; pageToken: string }): Promise<{ rows: CapacityShare[]; nextPageToken: string }>;
}

/** Options for createBillingQueries. */
export interface BillingQueriesOptions {
  database: Database;
  priceBook: PriceBook;
  /** Clock, for tests. */
  now?: () => Date;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Longest range QueryCapacityCost computes hour by hour. */
export const MAX_CAPACITY_RANGE_MS = 93 * DAY_MS;

const DIMENSIONS = new Map<billing.SpendDimension, { name: string; sql: string }>([
  [billing.SpendDimension.TEAM, { name: 'team', sql: 'team_id' }],
  [billing.SpendDimension.PROJECT, { name: 'project', sql: 'project' }],
  [billing.SpendDimension.MODEL, { name: 'model', sql: 'model' }],
  [billing.SpendDimension.PROVIDER, { name: 'provider', sql: 'provider' }],
  [billing.SpendDimension.DAY, { name: 'day', sql: `to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD')` }],
]);

const big = (value: unknown): bigint => BigInt(value === null || value === undefined ? 0 : (value as string | bigint));
const utcDay = (date: Date) => date.toISOString().slice(0, 10);

/** Creates the query side over the ledger. */
export function createBillingQueries(options: BillingQueriesOptions): BillingQueries {
  const { database, priceBook } = options;
  const now = options.now ?? (() => new Date());

  /** Resolves [start, end): explicit values, else the cursor's, else the defaults. */
  const resolveRange = (range: TimeRange, cursor: PageCursor | undefined, defaultSpanMs: number, fields = { start: 'start_time', end: 'end_time' }) => {
    const end = range.end ?? (cursor?.endMs !== undefined ? new Date(cursor.endMs) : now());
    const start = range.start ?? (cursor?.startMs !== undefined ? new Date(cursor.startMs) : new Date(end.getTime() - defaultSpanMs));
    if (Number.isNaN(start.getTime())) throw new InvalidFieldError(fields.start, 'is not a valid time');
    if (Number.isNaN(end.getTime())) throw new InvalidFieldError(fields.end, 'is not a valid time');
    if (start.getTime() >= end.getTime()) throw new InvalidFieldError(fields.end, `must be after start_time (${start.toISOString()})`);
    return { start, end };
  };
  const fingerprintRange = (range: TimeRange) => ({ start: range.start?.toISOString() ?? null, end: range.end?.toISOString() ?? null });

  /** Capacity shares of every team for every self-hosted deployment-hour starting in [start, end). */
  const capacityShares = async (start: Date, end: Date, deployment?: string): Promise<CapacityShare[]> => {
    const catalog = await priceBook.current();
    const deployments = catalog.capacityDeployments().filter((d) => !deployment || d === deployment);
    if (deployments.length === 0) return [];
    const firstHour = new Date(Math.floor(start.getTime() / HOUR_MS) * HOUR_MS);
    const afterLastHour = new Date(Math.ceil(end.getTime() / HOUR_MS) * HOUR_MS);
    const { rows } = await database.query<{ deployment: string; hour: string; team_id: string; tokens: string }>(
      `SELECT deployment, to_char(date_trunc('hour', time AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:00:00"Z"') AS hour, team_id,
              SUM(input_tokens + output_tokens + cached_input_tokens + cache_write_input_tokens)::text AS tokens
       FROM usage_ledger WHERE deployment = ANY($1::text[]) AND time >= $2 AND time < $3
       GROUP BY 1, 2, 3`,
      [deployments, firstHour, afterLastHour],
    );
    const hours = new Map<string, { deployment: string; hourStart: Date; usage: Map<string, bigint> }>();
    for (const row of rows) {
      const key = `${row.deployment}\u0000${row.hour}`;
      const hour = hours.get(key) ?? { deployment: row.deployment, hourStart: new Date(row.hour), usage: new Map<string, bigint>() };
      hour.usage.set(row.team_id, BigInt(row.tokens));
      hours.set(key, hour);
    }
    const shares: CapacityShare[] = [];
    for (const hour of hours.values()) {
      const price = catalog.capacityAt(hour.deployment, hour.hourStart);
      if (!price) continue;
      for (const [teamId, attributedNanos] of attributeCapacity(price.capacityNanosPerHour, hour.usage)) {
        shares.push({ deployment: hour.deployment, hourStart: hour.hourStart, teamId, tokens: hour.usage.get(teamId) ?? 0n, attributedNanos });
      }
    }
    return shares.sort(
      (a, b) =>
        compare(a.deployment, b.deployment) || a.hourStart.getTime() - b.hourStart.getTime() || compare(a.teamId, b.teamId),
    );
  };

  return {
    async querySpend(input) {
      const size = resolvePageSize(input.pageSize);
      const dimensions = input.groupBy.map((dimension, i) => {
        const spec = DIMENSIONS.get(dimension);
        if (!spec) throw new InvalidFieldError(`group_by[${i}]`, 'must be TEAM, PROJECT, MODEL, PROVIDER or DAY');
        if (input.groupBy.indexOf(dimension) !== i) throw new InvalidFieldError(`group_by[${i}]`, `repeats ${spec.name}`);
        return spec;
      });
      const fingerprint = queryFingerprint({ q: 'spend', team: input.teamId ?? null, project: input.project ?? null, ...fingerprintRange(input), groupBy: dimensions.map((d) => d.name) });
      const cursor = decodePageToken(input.pageToken, fingerprint);
      if (cursor && cursor.after.length !== dimensions.length) throw new InvalidFieldError('page_token', 'is not a token this service issued');
      const { start, end } = resolveRange(input, cursor, 30 * DAY_MS);

      const params: unknown[] = [start, end, input.teamId ?? null, input.project || null];
      const keys = dimensions.map((_, i) => `g${i}`);
      const select = dimensions.map((d, i) => `${d.sql} AS g${i}`);
      let after = '';
      if (cursor && keys.length > 0) {
        const placeholders = cursor.after.map((value) => {
          params.push(value);
          return `$${params.length}`;
        });
        after = `WHERE (${keys.map((k) => `g.${k} COLLATE "C"`).join(', ')}) > (${placeholders.join(', ')})`;
      }
      params.push(size + 1);
      const sql = `
        SELECT * FROM (
          SELECT ${[...select, 'COUNT(*) AS request_count'].join(', ')},
                 COALESCE(SUM(input_tokens), 0)::text AS input_tokens, COALESCE(SUM(output_tokens), 0)::text AS output_tokens,
                 COALESCE(SUM(cached_input_tokens), 0)::text AS cached_input_tokens, COALESCE(SUM(reasoning_tokens), 0)::text AS reasoning_tokens,
                 COALESCE(SUM(cache_write_input_tokens), 0)::text AS cache_write_input_tokens,
                 COALESCE(SUM(cost_nanos), 0)::text AS cost_nanos, COALESCE(SUM(baseline_cost_nanos), 0)::text AS baseline_cost_nanos,
                 COALESCE(SUM(cost_nanos) FILTER (WHERE usage_estimated), 0)::text AS estimated_cost_nanos
          FROM usage_ledger
          WHERE time >= $1 AND time < $2 AND ($3::text IS NULL OR team_id = $3) AND ($4::text IS NULL OR project = $4)
          ${keys.length > 0 ? `GROUP BY ${dimensions.map((d) => d.sql).join(', ')}` : ''}
        ) g
        ${after}
        ${keys.length > 0 ? `ORDER BY ${keys.map((k) => `g.${k} COLLATE "C"`).join(', ')}` : ''}
        LIMIT $${params.length}`;
      const { rows } = await database.query<Record<string, unknown>>(sql, params);
      const page = rows.slice(0, size).map(
        (row): SpendGroup => ({
          group: Object.fromEntries(dimensions.map((d, i) => [d.name, String(row[`g${i}`])])),
          requestCount: big(row.request_count),
          inputTokens: big(row.input_tokens),
          outputTokens: big(row.output_tokens),
          cachedInputTokens: big(row.cached_input_tokens),
          reasoningTokens: big(row.reasoning_tokens),
          cacheWriteInputTokens: big(row.cache_write_input_tokens),
          costNanos: big(row.cost_nanos),
          baselineCostNanos: big(row.baseline_cost_nanos),
          estimatedCostNanos: big(row.estimated_cost_nanos),
        }),
      );
      const last = rows.length > size ? rows[size - 1] : undefined;
      const nextPageToken = last
        ? encodePageToken({ query: fingerprint, after: keys.map((k) => String(last[k])), startMs: start.getTime(), endMs: end.getTime() })
        : '';
      return { rows: page, nextPageToken };
    },

    async querySavings(input) {
      const size = resolvePageSize(input.pageSize);
      const fingerprint = queryFingerprint({ q: 'savings', team: input.teamId ?? null, ...fingerprintRange(input) });
      const cursor = decodePageToken(input.pageToken, fingerprint);
      if (cursor && cursor.after.length !== 2) throw new InvalidFieldError('page_token', 'is not a token this service issued');
      const { start, end } = resolveRange(input, cursor, 30 * DAY_MS);

      const grouped = `
        SELECT team_id, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*) AS request_count,
               SUM(cost_nanos)::text AS actual, SUM(baseline_cost_nanos)::text AS baseline
        FROM usage_ledger WHERE time >= $1 AND time < $2 AND ($3::text IS NULL OR team_id = $3)
        GROUP BY 1, 2`;
      const [{ rows }, totals, shares] = await Promise.all([
        database.query<{ team_id: string; day: string; request_count: bigint; actual: string; baseline: string }>(
          `SELECT * FROM (${grouped}) g
           WHERE ($4::text IS NULL OR (g.team_id COLLATE "C", g.day COLLATE "C") > ($4, $5))
           ORDER BY g.team_id COLLATE "C", g.day COLLATE "C" LIMIT $6`,
          [start, end, input.teamId ?? null, cursor?.after[0] ?? null, cursor?.after[1] ?? null, size + 1],
        ),
        database.query<{ request_count: bigint; actual: string | null; baseline: string | null }>(
          `SELECT COUNT(*) AS request_count, SUM(cost_nanos)::text AS actual, SUM(baseline_cost_nanos)::text AS baseline
           FROM usage_ledger WHERE time >= $1 AND time < $2 AND ($3::text IS NULL OR team_id = $3)`,
          [start, end, input.teamId ?? null],
        ),
        capacityShares(start, end),
      ]);
      const capacityByTeamDay = new Map<string, bigint>();
      let capacityTotal = 0n;
      for (const share of shares) {
        if (input.teamId && share.teamId !== input.teamId) continue;
        const key = `${share.teamId}\u0000${utcDay(share.hourStart)}`;
        capacityByTeamDay.set(key, (capacityByTeamDay.get(key) ?? 0n) + share.attributedNanos);
        capacityTotal += share.attributedNanos;
      }
      const page = rows.slice(0, size).map((row): SavingsDay => {
        const actual = big(row.actual) + (capacityByTeamDay.get(`${row.team_id}\u0000${row.day}`) ?? 0n);
        const baseline = big(row.baseline);
        return { teamId: row.team_id, day: row.day, actualNanos: actual, baselineNanos: baseline, savedNanos: baseline - actual, requestCount: big(row.request_count) };
      });
      const totalRow = totals.rows[0];
      const totalActual = big(totalRow.actual) + capacityTotal;
      const totalBaseline = big(totalRow.baseline);
      const last = rows.length > size ? page[size - 1] : undefined;
      return {
        rows: page,
        nextPageToken: last ? encodePageToken({ query: fingerprint, after: [last.teamId, last.day], startMs: start.getTime(), endMs: end.getTime() }) : '',
        total: { teamId: input.teamId ?? '', day: '', actualNanos: totalActual, baselineNanos: totalBaseline, savedNanos: totalBaseline - totalActual, requestCount: big(totalRow.request_count) },
      };
    },

    async queryCapacityCost(input) {
      const size = resolvePageSize(input.pageSize);
      const fingerprint = queryFingerprint({ q: 'capacity', deployment: input.deployment ?? null, team: input.visibleTeamId ?? null, ...fingerprintRange(input) });
      const cursor = decodePageToken(input.pageToken, fingerprint);
      if (cursor && cursor.after.length !== 3) throw new InvalidFieldError('page_token', 'is not a token this service issued');
      const { start, end } = resolveRange(input, cursor, DAY_MS);
      if (end.getTime() - start.getTime() > MAX_CAPACITY_RANGE_MS) throw new InvalidFieldError('end_time', 'the range may span at most 93 days');
      const all = (await capacityShares(start, end, input.deployment)).filter((share) => !input.visibleTeamId || share.teamId === input.visibleTeamId);
      const afterKey = cursor?.after;
      const remaining = afterKey
        ? all.filter(
            (s) =>
              compare(s.deployment, afterKey[0]) > 0 ||
              (s.deployment === afterKey[0] && (s.hourStart.getTime() > Date.parse(afterKey[1]) || (s.hourStart.getTime() === Date.parse(afterKey[1]) && compare(s.teamId, afterKey[2]) > 0))),
          )
        : all;
      const page = remaining.slice(0, size);
      const last = page[page.length - 1];
      return {
        rows: page,
        nextPageToken:
          remaining.length > size
            ? encodePageToken({ query: fingerprint, after: [last.deployment, last.hourStart.toISOString(), last.teamId], startMs: start.getTime(), endMs: end.getTime() })
            : '',
      };
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
