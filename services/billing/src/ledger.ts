import { hash } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { billing } from '@switchyard/contracts';
import { integerArrayLiteral, textArrayLiteral, withTransactionRetry, type Database } from '@switchyard/database';
import { computeCost, describeModelKey, type CatalogPrice, type PriceCatalog } from '@switchyard/pricing';
import { InvalidFieldError } from './billing-errors';
import type { PriceBook } from './price-book';
import { BASELINE_MODEL_PATTERN, TEAM_ID_PATTERN, type TeamDirectory, type TeamRecord } from './teams';

/** One row's result, as the RecordUsage response carries it. */
export type RecordResultInit = MessageInitShape<typeof billing.RecordResultSchema>;

/** The usage ledger: one row per served request, idempotent by request id. */
export interface UsageLedger {
  /**
   * Records a batch. Each row is validated, priced and written independently and atomically: a
   * row is RECORDED (written with its budget effects), DUPLICATE (same id and content seen before:
   * nothing changes, the original cost is returned) or REJECTED (nothing written; INVALID_ARGUMENT
   * naming the field, or ALREADY_EXISTS for the same id with different content). The valid rows
   * of a batch are written in one transaction; if the database fails, none is written and the
   * whole call fails, so the caller simply retries it.
   */
  record(records: readonly billing.UsageRecord[]): Promise<RecordResultInit[]>;
}

/** Options for createUsageLedger. */
export interface UsageLedgerOptions {
  database: Database;
  priceBook: PriceBook;
  teams: TeamDirectory;
  /** Clock, for tests. */
  now?: () => Date;
}

/** Rows per RecordUsage call. */
export const MAX_RECORDS_PER_BATCH = 1000;
/** The most tokens of one kind a single request may report; more is a bug upstream, not usage. */
export const MAX_TOKENS_PER_FIELD = 100_000_000n;
/** How far in the future a usage time may be (clock skew between router and billing). */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;
const EARLIEST_USAGE_TIME = Date.UTC(2020, 0, 1);
const MAX_LATENCY_SECONDS = 24n * 3600n;
const PRINTABLE_ID = /^[\x21-\x7e]{1,128}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;

/** A validated, priced row ready to insert. */
interface PricedRow {
  index: number;
  requestId: string;
  time: Date;
  teamId: string;
  project: string;
  featureTags: string[];
  endUserId: string;
  provider: string;
  model: string;
  deployment: string;
  inputTokens: bigint;
  outputTokens: bigint;
  cachedInputTokens: bigint;
  reasoningTokens: bigint;
  cacheWriteInputTokens: bigint;
  usageEstimated: boolean;
  costNanos: bigint;
  priceVersion: string;
  baselineModel: string;
  baselineCostNanos: bigint;
  baselinePriceVersion: string;
  latencyMicros: bigint;
  outcome: number;
  reservationId: string;
  routeRule: string;
  contentHash: string;
}

interface StoredRow {
  request_id: string;
  content_hash: string;
  cost_nanos: bigint;
  price_version: string;
  baseline_cost_nanos: bigint;
  baseline_model: string;
  time: Date;
  team_id: string;
  project: string;
  provider: string;
  model: string;
  deployment: string;
  input_tokens: bigint;
  output_tokens: bigint;
  cached_input_tokens: bigint;
  reasoning_tokens: bigint;
  cache_write_input_tokens: bigint;
  usage_estimated: boolean;
  outcome: number;
  latency_micros: bigint;
  end_user_id: string;
  feature_tags: string[];
  reservation_id: string;
  route_rule: string;
}

const costOf = (row: { costNanos: bigint; priceVersion: string; baselineCostNanos: bigint; baselineModel: string }) => ({
  nanosUsd: row.costNanos,
  priceVersion: row.priceVersion,
  baselineNanosUsd: row.baselineCostNanos,
  baselineModel: row.baselineModel,
});

const rejected = (requestId: string, errorCode: 'INVALID_ARGUMENT' | 'ALREADY_EXISTS', errorMessage: string): RecordResultInit => ({
  requestId,
  status: billing.RecordStatus.REJECTED,
  errorCode,
  errorMessage,
});

function checkText(field: string, value: string, max: number): void {
  if (value.length > max) throw new InvalidFieldError(field, `must be at most ${max} characters`);
  if (CONTROL_CHARACTERS.test(value)) throw new InvalidFieldError(field, 'must not contain control characters');
}

function checkTokens(field: string, value: bigint): bigint {
  if (value < 0n) throw new InvalidFieldError(field, `must not be negative (got ${value})`);
  if (value > MAX_TOKENS_PER_FIELD) throw new InvalidFieldError(field, `is not a plausible token count for one request (got ${value}, limit ${MAX_TOKENS_PER_FIELD})`);
  return value;
}

/** Checks one record's fields; throws InvalidFieldError naming the first bad field. Returns the parsed time. */
export function validateUsageRecord(record: billing.UsageRecord, index: number, now: Date): Date {
  const field = (name: string) => `records[${index}].${name}`;
  if (!record.requestId) throw new InvalidFieldError(field('request_id'), 'must be set (it is the idempotency key)');
  if (!PRINTABLE_ID.test(record.requestId)) throw new InvalidFieldError(field('request_id'), 'must be 1-128 printable ASCII characters without spaces');
  if (!record.time) throw new InvalidFieldError(field('time'), 'must be set');
  const time = timestampDate(record.time);
  if (Number.isNaN(time.getTime()) || time.getTime() < EARLIEST_USAGE_TIME) throw new InvalidFieldError(field('time'), 'must be a time after 2020-01-01');
  if (time.getTime() > now.getTime() + MAX_FUTURE_SKEW_MS) throw new InvalidFieldError(field('time'), `is in the future (${time.toISOString()})`);
  if (!record.teamId) throw new InvalidFieldError(field('team_id'), 'must be set');
  if (!TEAM_ID_PATTERN.test(record.teamId)) throw new InvalidFieldError(field('team_id'), "must be 1-64 letters, digits, '-' or '_'");
  checkText(field('project'), record.project, 128);
  if (record.featureTags.length > 32) throw new InvalidFieldError(field('feature_tags'), 'at most 32 tags');
  record.featureTags.forEach((tag, i) => {
    if (!tag) throw new InvalidFieldError(field(`feature_tags[${i}]`), 'must not be empty');
    checkText(field(`feature_tags[${i}]`), tag, 64);
  });
  checkText(field('end_user_id'), record.endUserId, 256);
  if (!record.model) throw new InvalidFieldError(field('model'), 'must be set');
  if (!record.model.provider) throw new InvalidFieldError(field('model.provider'), 'must be set');
  if (!record.model.model) throw new InvalidFieldError(field('model.model'), 'must be set');
  checkText(field('model.provider'), record.model.provider, 128);
  checkText(field('model.model'), record.model.model, 128);
  checkText(field('model.deployment'), record.model.deployment, 128);
  if (!record.usage) throw new InvalidFieldError(field('usage'), 'must be set');
  checkTokens(field('usage.input_tokens'), record.usage.inputTokens);
  const output = checkTokens(field('usage.output_tokens'), record.usage.outputTokens);
  checkTokens(field('usage.cached_input_tokens'), record.usage.cachedInputTokens);
  checkTokens(field('usage.cache_write_input_tokens'), record.usage.cacheWriteInputTokens);
  const reasoning = checkTokens(field('usage.reasoning_tokens'), record.usage.reasoningTokens);
  if (reasoning > output) throw new InvalidFieldError(field('usage.reasoning_tokens'), `must not exceed output_tokens (${reasoning} > ${output}); reasoning tokens are part of the output`);
  if (record.baselineModel && !BASELINE_MODEL_PATTERN.test(record.baselineModel)) throw new InvalidFieldError(field('baseline_model'), 'must be "provider/model" or empty');
  if (record.latency) {
    const { seconds, nanos } = record.latency;
    if (seconds < 0n || nanos < 0 || nanos > 999_999_999) throw new InvalidFieldError(field('latency'), 'must be a non-negative duration');
    if (seconds > MAX_LATENCY_SECONDS) throw new InvalidFieldError(field('latency'), 'must be at most 24 hours');
  }
  if (!(record.outcome in billing.UsageOutcome) || record.outcome === billing.UsageOutcome.UNSPECIFIED) {
    throw new InvalidFieldError(field('outcome'), 'must be SUCCESS, PARTIAL, CANCELLED or UPSTREAM_ERROR');
  }
  checkText(field('reservation_id'), record.reservationId, 128);
  checkText(field('route_rule'), record.routeRule, 128);
  return time;
}

/** Prices one validated record: its cost and its team's baseline counterfactual. */
function priceRecord(record: billing.UsageRecord, index: number, time: Date, team: TeamRecord, catalog: PriceCatalog): PricedRow {
  const { model, usage } = record;
  if (!model || !usage) throw new InvalidFieldError(`records[${index}].${model ? 'usage' : 'model'}`, 'must be set');
  const ref = { provider: model.provider, model: model.model, deployment: model.deployment };
  const price = catalog.priceAt(ref, time);
  if (!price) throw new InvalidFieldError(`records[${index}].model`, `no price for ${describeModelKey(ref)} at ${time.toISOString()}; an admin can add one with UpsertPrices`);

  const baselineName = record.baselineModel || team.baselineModel;
  let baselinePrice: CatalogPrice | undefined = price;
  let baselineModel = `${model.provider}/${model.model}`;
  if (baselineName) {
    const slash = baselineName.indexOf('/');
    baselinePrice = catalog.priceAt({ provider: baselineName.slice(0, slash), model: baselineName.slice(slash + 1) }, time);
    baselineModel = baselineName;
    if (!baselinePrice) {
      const whose = record.baselineModel ? 'baseline model' : `team ${team.teamId}'s default baseline model`;
      throw new InvalidFieldError(`records[${index}].baseline_model`, `${whose} ${baselineName} has no price at ${time.toISOString()}`);
    }
  }
  const tokens = {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    cacheWriteInputTokens: usage.cacheWriteInputTokens,
  };
  const latency = record.latency ? record.latency.seconds * 1_000_000n + BigInt(Math.floor(record.latency.nanos / 1000)) : 0n;
  return {
    index,
    requestId: record.requestId,
    time,
    teamId: record.teamId,
    project: record.project,
    featureTags: [...record.featureTags],
    endUserId: record.endUserId,
    provider: model.provider,
    model: model.model,
    deployment: model.deployment,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    reasoningTokens: usage.reasoningTokens,
    cacheWriteInputTokens: usage.cacheWriteInputTokens,
    usageEstimated: usage.estimated,
    costNanos: computeCost(tokens, price),
    priceVersion: price.version,
    baselineModel,
    baselineCostNanos: computeCost(tokens, baselinePrice),
    baselinePriceVersion: baselinePrice.version,
    latencyMicros: latency,
    outcome: record.outcome,
    reservationId: record.reservationId,
    routeRule: record.routeRule,
    contentHash: usageContentHash(record),
  };
}

/**
 * SHA-256 of every field of a usage row as sent (before pricing), in a fixed order: a replay with the
 * same id compares one column. Cheaper than re-encoding the protobuf; when UsageRecord gains a
 * field, add it here (and bump the "v1" prefix).
 *
 * Fields added after v1 whose zero value is what every earlier row had (usage.cache_write_input_tokens,
 * usage.estimated) are appended as a name-value pair only when non-zero, without a bump: a row stored
 * before the field existed keeps its hash, so its replay is still a DUPLICATE, while any non-zero value
 * changes the hash.
 */
export function usageContentHash(record: billing.UsageRecord): string {
  const cacheWrites = record.usage?.cacheWriteInputTokens ?? 0n;
  const estimated = record.usage?.estimated ?? false;
  const canonical = JSON.stringify([
    'v1',
    record.requestId,
    String(record.time?.seconds ?? ''),
    record.time?.nanos ?? 0,
    record.teamId,
    record.project,
    record.featureTags,
    record.endUserId,
    record.model?.provider ?? '',
    record.model?.model ?? '',
    record.model?.deployment ?? '',
    String(record.usage?.inputTokens ?? ''),
    String(record.usage?.outputTokens ?? ''),
    String(record.usage?.cachedInputTokens ?? ''),
    String(record.usage?.reasoningTokens ?? ''),
    record.baselineModel,
    String(record.latency?.seconds ?? 0n),
    record.latency?.nanos ?? 0,
    record.outcome,
    record.reservationId,
    record.routeRule,
    ...(cacheWrites === 0n ? [] : ['usage.cache_write_input_tokens', String(cacheWrites)]),
    ...(estimated ? ['usage.estimated', 'true'] : []),
  ]);
  return hash('sha256', canonical, 'hex');
}

/** Names the fields in which a replayed row differs from the stored one. */
function describeDifference(row: PricedRow, stored: StoredRow): string {
  const differs: string[] = [];
  const check = (name: string, a: unknown, b: unknown) => {
    if (String(a) !== String(b)) differs.push(name);
  };
  check('time', row.time.getTime(), stored.time.getTime());
  check('team_id', row.teamId, stored.team_id);
  check('project', row.project, stored.project);
  check('model.provider', row.provider, stored.provider);
  check('model.model', row.model, stored.model);
  check('model.deployment', row.deployment, stored.deployment);
  check('usage.input_tokens', row.inputTokens, stored.input_tokens);
  check('usage.output_tokens', row.outputTokens, stored.output_tokens);
  check('usage.cached_input_tokens', row.cachedInputTokens, stored.cached_input_tokens);
  check('usage.reasoning_tokens', row.reasoningTokens, stored.reasoning_tokens);
  check('usage.cache_write_input_tokens', row.cacheWriteInputTokens, stored.cache_write_input_tokens);
  check('usage.estimated', row.usageEstimated, stored.usage_estimated);
  check('outcome', row.outcome, stored.outcome);
  check('latency', row.latencyMicros, stored.latency_micros);
  check('end_user_id', row.endUserId, stored.end_user_id);
  check('feature_tags', row.featureTags.join('\u0000'), stored.feature_tags.join('\u0000'));
  check('reservation_id', row.reservationId, stored.reservation_id);
  check('route_rule', row.routeRule, stored.route_rule);
  return differs.length > 0 ? differs.join(', ') : 'baseline_model or sub-millisecond fields';
}

const FEATURE_TAG_SEPARATOR = '\u001f';

/**
 * The arguments of billing_record_usage (migration 0004), in order: one array per column, one element
 * per row. Each is sent as an array literal, built in one pass: much cheaper than letting the driver
 * prepare and escape a thousand elements per column.
 */
interface RecordUsageArgument {
  type: 'text' | 'timestamptz' | 'bigint' | 'smallint' | 'boolean';
  literal: (rows: readonly PricedRow[]) => string;
}
const text = (type: 'text' | 'timestamptz', value: (row: PricedRow) => string): RecordUsageArgument => ({ type, literal: (rows) => textArrayLiteral(rows.map(value)) });
const integer = (type: 'bigint' | 'smallint', value: (row: PricedRow) => bigint | number): RecordUsageArgument => ({ type, literal: (rows) => integerArrayLiteral(rows.map(value)) });
const flag = (value: (row: PricedRow) => boolean): RecordUsageArgument => ({ type: 'boolean', literal: (rows) => `{${rows.map((row) => (value(row) ? 't' : 'f')).join(',')}}` });
const RECORD_USAGE_ARGUMENTS: readonly RecordUsageArgument[] = [
  text('text', (row) => row.requestId),
  text('timestamptz', (row) => row.time.toISOString()),
  text('text', (row) => row.teamId),
  text('text', (row) => row.project),
  text('text', (row) => row.featureTags.join(FEATURE_TAG_SEPARATOR)),
  text('text', (row) => row.endUserId),
  text('text', (row) => row.provider),
  text('text', (row) => row.model),
  text('text', (row) => row.deployment),
  integer('bigint', (row) => row.inputTokens),
  integer('bigint', (row) => row.outputTokens),
  integer('bigint', (row) => row.cachedInputTokens),
  integer('bigint', (row) => row.reasoningTokens),
  integer('bigint', (row) => row.cacheWriteInputTokens),
  flag((row) => row.usageEstimated),
  integer('bigint', (row) => row.costNanos),
  text('text', (row) => row.priceVersion),
  text('text', (row) => row.baselineModel),
  integer('bigint', (row) => row.baselineCostNanos),
  text('text', (row) => row.baselinePriceVersion),
  integer('bigint', (row) => row.latencyMicros),
  integer('smallint', (row) => row.outcome),
  text('text', (row) => row.reservationId),
  text('text', (row) => row.routeRule),
  text('text', (row) => row.contentHash),
];

/** The stored columns billing_record_usage returns for the request ids that already existed. */
const RECORD_USAGE_SQL = `SELECT request_id, content_hash, cost_nanos, price_version, baseline_cost_nanos, baseline_model, time, team_id, project,
  provider, model, deployment, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cache_write_input_tokens, usage_estimated, outcome, latency_micros, end_user_id,
  feature_tags, reservation_id, route_rule
  FROM billing_record_usage(${RECORD_USAGE_ARGUMENTS.map((arg, i) => `$${i + 1}::${arg.type}[]`).join(', ')}, $${RECORD_USAGE_ARGUMENTS.length + 1}::timestamptz)`;

/** The parameters of RECORD_USAGE_SQL for these rows, at `now` (the time closed holds are marked settled). */
function recordUsageParams(rows: readonly PricedRow[], now: Date): unknown[] {
  return [...RECORD_USAGE_ARGUMENTS.map((arg) => arg.literal(rows)), now];
}

/** Creates the usage ledger. */
export function createUsageLedger(options: UsageLedgerOptions): UsageLedger {
  const { database, priceBook, teams } = options;
  const now = options.now ?? (() => new Date());

  return {
    async record(records) {
      if (records.length > MAX_RECORDS_PER_BATCH) throw new InvalidFieldError('records', `at most ${MAX_RECORDS_PER_BATCH} rows per call (got ${records.length})`);
      const results: RecordResultInit[] = new Array(records.length);
      const clock = now();

      // 1. Validate each row on its own.
      const valid: Array<{ record: billing.UsageRecord; index: number; time: Date }> = [];
      records.forEach((record, index) => {
        try {
          valid.push({ record, index, time: validateUsageRecord(record, index, clock) });
        } catch (error) {
          if (!(error instanceof InvalidFieldError)) throw error;
          results[index] = rejected(record.requestId, 'INVALID_ARGUMENT', error.message);
        }
      });

      // 2. Teams and prices.
      const [known, catalog] = await Promise.all([teams.getMany(valid.map((v) => v.record.teamId)), priceBook.current()]);
      const priced: PricedRow[] = [];
      for (const { record, index, time } of valid) {
        const team = known.get(record.teamId);
        if (!team) {
          results[index] = rejected(record.requestId, 'INVALID_ARGUMENT', `records[${index}].team_id: unknown team "${record.teamId}"; an admin can create it with UpsertTeam`);
          continue;
        }
        try {
          priced.push(priceRecord(record, index, time, team, catalog));
        } catch (error) {
          if (!(error instanceof InvalidFieldError)) throw error;
          results[index] = rejected(record.requestId, 'INVALID_ARGUMENT', error.message);
        }
      }

      // 3. The same id twice in one batch: the first occurrence is the one written.
      const firstById = new Map<string, PricedRow>();
      const repeats: PricedRow[] = [];
      for (const row of priced) {
        if (firstById.has(row.requestId)) repeats.push(row);
        else firstById.set(row.requestId, row);
      }
      // A global order (by request id) for inserts, so concurrent batches sharing ids never deadlock.
      const candidates = [...firstById.values()].sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0));

      // 4. Write, in one statement (see migrations 0002 to 0004): ledger rows, the holds they close, budget counters.
      //    What comes back are the stored rows of the ids that already existed; every other one was inserted.
      const stored = new Map<string, StoredRow>();
      if (candidates.length > 0) {
        const { rows } = await withTransactionRetry(() => database.query<StoredRow>(RECORD_USAGE_SQL, recordUsageParams(candidates, clock)));
        for (const row of rows) stored.set(row.request_id, row);
      }

      // 5. Rows not inserted already existed: same content is a duplicate, different content a conflict.
      const outcomeOf = (row: PricedRow): RecordResultInit => {
        const original = stored.get(row.requestId);
        if (!original) return { requestId: row.requestId, status: billing.RecordStatus.RECORDED, cost: costOf(row) };
        if (original.content_hash === row.contentHash) {
          return {
            requestId: row.requestId,
            status: billing.RecordStatus.DUPLICATE,
            cost: { nanosUsd: original.cost_nanos, priceVersion: original.price_version, baselineNanosUsd: original.baseline_cost_nanos, baselineModel: original.baseline_model },
          };
        }
        return rejected(
          row.requestId,
          'ALREADY_EXISTS',
          `records[${row.index}].request_id: "${row.requestId}" was already recorded with different content (differs in: ${describeDifference(row, original)}); nothing was changed`,
        );
      };
      for (const row of candidates) results[row.index] = outcomeOf(row);
      for (const row of repeats) {
        const first = firstById.get(row.requestId) ?? row;
        const firstResult = results[first.index];
        if (row.contentHash !== first.contentHash) {
          results[row.index] = rejected(row.requestId, 'ALREADY_EXISTS', `records[${row.index}].request_id: "${row.requestId}" repeats records[${first.index}] with different content`);
        } else if (firstResult.status === billing.RecordStatus.REJECTED) {
          results[row.index] = { ...firstResult };
        } else {
          results[row.index] = { ...firstResult, status: billing.RecordStatus.DUPLICATE };
        }
      }
      return results;
    },
  };
}
