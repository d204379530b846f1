import { create } from '@bufbuild/protobuf';
import { billing } from '@switchyard/contracts';
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import type { Billing } from './billing-app';
import { createUsageLedger, MAX_RECORDS_PER_BATCH, usageContentHash } from './ledger';
import { countingDatabase } from './testing/counting-database';
import { createTestBilling, createTestClock } from './testing/test-databases';
import { usageRecord, type UsageRecordInput } from './testing/usage-records';

const NOW = '2026-03-15T12:00:00Z';

describe.each(testBackends())('usage ledger on %s', (backend) => {
  let test: TestDatabase;
  let app: Billing;
  const clock = createTestClock(NOW);

  beforeAll(async () => {
    test = await createTestDatabase(backend);
    app = await createTestBilling(test.database, {
      now: clock.now,
      teams: [
        { teamId: 'search', baselineModel: 'openai/gpt-4o' },
        { teamId: 'no-baseline' },
      ],
    });
  });
  afterAll(() => test?.close());

  const count = async (requestIdPrefix: string) =>
    (await test.database.query<{ n: bigint }>('SELECT COUNT(*) AS n FROM usage_ledger WHERE request_id LIKE $1', [`${requestIdPrefix}%`])).rows[0].n;

  it('prices a row and its baseline counterfactual', async () => {
    // gpt-4o-mini: 1000 in × $0.15 + 100 out × $0.60 + 200 cached × $0.075 = 150,000 + 60,000 + 15,000 nano
    // gpt-4o baseline: 1000 × $2.50 + 100 × $10 + 200 × $1.25 = 2,500,000 + 1,000,000 + 250,000 nano
    const [result] = await app.ledger.record([usageRecord({ requestId: 'price-1', time: '2026-03-15T10:00:00Z', teamId: 'search', cachedInputTokens: 200n, featureTags: ['chat', 'with "quotes", commas'] })]);
    expect(result).toEqual({
      requestId: 'price-1',
      status: billing.RecordStatus.RECORDED,
      cost: { nanosUsd: 225_000n, priceVersion: '2026-11-26', baselineNanosUsd: 3_750_000n, baselineModel: 'openai/gpt-4o' },
    });
    const { rows } = await test.database.query('SELECT team_id, provider, model, input_tokens, cached_input_tokens, cost_nanos, baseline_cost_nanos, latency_micros, outcome, feature_tags FROM usage_ledger WHERE request_id = $1', ['price-1']);
    expect(rows[0]).toEqual({ team_id: 'search', provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1000n, cached_input_tokens: 200n, cost_nanos: 225_000n, baseline_cost_nanos: 3_750_000n, latency_micros: 120_000n, outcome: 1, feature_tags: ['chat', 'with "quotes", commas'] });
  });

  it('uses a per-row baseline, and the served model itself when the team has none', async () => {
    const results = await app.ledger.record([
      usageRecord({ requestId: 'baseline-1', time: '2026-03-15T10:00:00Z', teamId: 'search', baselineModel: 'anthropic/claude-sonnet-4-5' }),
      usageRecord({ requestId: 'baseline-2', time: '2026-03-15T10:00:00Z', teamId: 'no-baseline' }),
    ]);
    // sonnet: 1000 × $3 + 100 × $15 = 3,000,000 + 1,500,000
    expect(results[0].cost).toEqual({ nanosUsd: 210_000n, priceVersion: '2026-11-26', baselineNanosUsd: 4_500_000n, baselineModel: 'anthropic/claude-sonnet-4-5' });
    expect(results[1].cost).toEqual({ nanosUsd: 210_000n, priceVersion: '2026-11-26', baselineNanosUsd: 210_000n, baselineModel: 'openai/gpt-4o-mini' });
  });

  it('prices prompt-cache writes at the cache-write price and stores them in their own column', async () => {
    // claude-sonnet-4-5: 100 in × $3 + 10 out × $15 + 2,000 writes × $3.75 + 500 reads × $0.30
    //   = 300,000 + 150,000 + 7,500,000 + 150,000 nano (writes at the input price would be 6,000,000)
    const [result] = await app.ledger.record([
      usageRecord({ requestId: 'cache-write-1', time: '2026-03-15T10:00:00Z', teamId: 'no-baseline', provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 100n, outputTokens: 10n, cachedInputTokens: 500n, cacheWriteInputTokens: 2000n }),
    ]);
    expect(result.cost).toMatchObject({ nanosUsd: 8_100_000n, baselineNanosUsd: 8_100_000n });
    const { rows } = await test.database.query('SELECT input_tokens, cached_input_tokens, cache_write_input_tokens FROM usage_ledger WHERE request_id = $1', ['cache-write-1']);
    expect(rows[0]).toEqual({ input_tokens: 100n, cached_input_tokens: 500n, cache_write_input_tokens: 2000n });
  });

  it('stores whether the usage was estimated', async () => {
    await app.ledger.record([
      usageRecord({ requestId: 'estimated-1', time: '2026-03-15T10:00:00Z', teamId: 'no-baseline', usageEstimated: true }),
      usageRecord({ requestId: 'exact-1', time: '2026-03-15T10:00:00Z', teamId: 'no-baseline' }),
    ]);
    const { rows } = await test.database.query("SELECT request_id, usage_estimated FROM usage_ledger WHERE request_id IN ('estimated-1', 'exact-1') ORDER BY request_id");
    expect(rows).toEqual([
      { request_id: 'estimated-1', usage_estimated: true },
      { request_id: 'exact-1', usage_estimated: false },
    ]);
  });

  it('prices cache writes at the input price on a model without a cache-write price', async () => {
    // gpt-4o-mini (no cache-write price): 1000 in + 400 writes at $0.15 + 100 out × $0.60 = 210,000 + 60,000 nano
    const [result] = await app.ledger.record([usageRecord({ requestId: 'cache-write-2', time: '2026-03-15T10:00:00Z', teamId: 'no-baseline', cacheWriteInputTokens: 400n })]);
    expect(result.cost?.nanosUsd).toBe(270_000n);
  });

  it('prices a self-hosted deployment at zero per token (capacity is attributed per hour)', async () => {
    const [result] = await app.ledger.record([
      usageRecord({ requestId: 'self-1', time: '2026-03-15T10:00:00Z', teamId: 'search', provider: 'vllm-qwen', model: 'qwen2.5-7b-instruct', deployment: 'vllm-qwen-l4' }),
    ]);
    expect(result.cost).toMatchObject({ nanosUsd: 0n, baselineNanosUsd: 3_500_000n });
  });

  it('returns the original result for a replayed row and changes nothing (AIP-155)', async () => {
    const row = usageRecord({ requestId: 'dup-1', time: '2026-03-15T10:00:00Z', teamId: 'search' });
    const [first] = await app.ledger.record([row]);
    clock.advance(60_000);
    const [second] = await app.ledger.record([row]);
    expect(second).toEqual({ ...first, status: billing.RecordStatus.DUPLICATE });
    expect(await count('dup-1')).toBe(1n);
  });

  it('rejects the same request id with different content, naming what differs', async () => {
    await app.ledger.record([usageRecord({ requestId: 'conflict-1', time: '2026-03-15T10:00:00Z', teamId: 'search' })]);
    const [result] = await app.ledger.record([usageRecord({ requestId: 'conflict-1', time: '2026-03-15T10:00:00Z', teamId: 'search', inputTokens: 999n })]);
    expect(result.status).toBe(billing.RecordStatus.REJECTED);
    expect(result.errorCode).toBe('ALREADY_EXISTS');
    expect(result.errorMessage).toBe('records[0].request_id: "conflict-1" was already recorded with different content (differs in: usage.input_tokens); nothing was changed');
    const { rows } = await test.database.query<{ input_tokens: bigint }>('SELECT input_tokens FROM usage_ledger WHERE request_id = $1', ['conflict-1']);
    expect(rows).toEqual([{ input_tokens: 1000n }]);
  });

  it('names cache-write tokens when a replay differs only in them', async () => {
    await app.ledger.record([usageRecord({ requestId: 'conflict-2', time: '2026-03-15T10:00:00Z', teamId: 'search' })]);
    const [result] = await app.ledger.record([usageRecord({ requestId: 'conflict-2', time: '2026-03-15T10:00:00Z', teamId: 'search', cacheWriteInputTokens: 10n })]);
    expect(result.errorCode).toBe('ALREADY_EXISTS');
    expect(result.errorMessage).toContain('(differs in: usage.cache_write_input_tokens)');
  });

  it('names the estimated flag when a replay differs only in it', async () => {
    await app.ledger.record([usageRecord({ requestId: 'conflict-3', time: '2026-03-15T10:00:00Z', teamId: 'search' })]);
    const [result] = await app.ledger.record([usageRecord({ requestId: 'conflict-3', time: '2026-03-15T10:00:00Z', teamId: 'search', usageEstimated: true })]);
    expect(result.errorCode).toBe('ALREADY_EXISTS');
    expect(result.errorMessage).toContain('(differs in: usage.estimated)');
  });

  it('handles the same request id twice in one batch', async () => {
    const row = usageRecord({ requestId: 'batch-dup', time: '2026-03-15T10:00:00Z', teamId: 'search' });
    const results = await app.ledger.record([row, row, usageRecord({ requestId: 'batch-dup', time: '2026-03-15T10:00:00Z', teamId: 'search', outputTokens: 5n })]);
    expect(results.map((r) => r.status)).toEqual([billing.RecordStatus.RECORDED, billing.RecordStatus.DUPLICATE, billing.RecordStatus.REJECTED]);
    expect(results[1].cost).toEqual(results[0].cost);
    expect(results[2].errorMessage).toMatch(/records\[2\]\.request_id: "batch-dup" repeats records\[0\] with different content/);
    expect(await count('batch-dup')).toBe(1n);
  });

  const base = { time: '2026-03-15T10:00:00Z', teamId: 'search' };
  it.each([
    ['a missing request id', { requestId: '' }, 'records[1].request_id: must be set'],
    ['a request id with spaces', { requestId: 'a b' }, 'records[1].request_id: must be 1-128 printable'],
    ['negative input tokens', { inputTokens: -1n }, 'records[1].usage.input_tokens: must not be negative (got -1)'],
    ['negative output tokens', { outputTokens: -5n }, 'records[1].usage.output_tokens: must not be negative'],
    ['absurd cached tokens', { cachedInputTokens: 100_000_001n }, 'records[1].usage.cached_input_tokens: is not a plausible token count'],
    ['negative cache-write tokens', { cacheWriteInputTokens: -3n }, 'records[1].usage.cache_write_input_tokens: must not be negative (got -3)'],
    ['absurd cache-write tokens', { cacheWriteInputTokens: 100_000_001n }, 'records[1].usage.cache_write_input_tokens: is not a plausible token count'],
    ['reasoning above output', { outputTokens: 10n, reasoningTokens: 11n }, 'records[1].usage.reasoning_tokens: must not exceed output_tokens'],
    ['an unknown team', { teamId: 'nobody' }, 'records[1].team_id: unknown team "nobody"'],
    ['a malformed team id', { teamId: 'bad team!' }, 'records[1].team_id: must be 1-64 letters'],
    ['an unpriced model', { model: 'gpt-imaginary' }, 'records[1].model: no price for openai/gpt-imaginary at 2026-03-15T10:00:00.000Z'],
    ['a time before the price existed', { model: 'claude-haiku-4-5', provider: 'anthropic', time: '2025-01-01T00:00:00Z' }, 'records[1].model: no price for anthropic/claude-haiku-4-5'],
    ['an unpriced baseline', { baselineModel: 'openai/nope' }, 'records[1].baseline_model: baseline model openai/nope has no price'],
    ['a malformed baseline', { baselineModel: 'gpt-4o' }, 'records[1].baseline_model: must be "provider/model"'],
    ['a future time', { time: '2026-03-15T13:00:00Z' }, 'records[1].time: is in the future'],
    ['an ancient time', { time: '2001-01-01T00:00:00Z' }, 'records[1].time: must be a time after 2020-01-01'],
    ['an unset outcome', { outcome: billing.UsageOutcome.UNSPECIFIED }, 'records[1].outcome: must be SUCCESS'],
    ['a control character in a tag', { featureTags: ['ok', 'bad\u0007'] }, 'records[1].feature_tags[1]: must not contain control characters'],
  ])('rejects %s with INVALID_ARGUMENT naming the field, and still records the good rows', async (_name, override, message) => {
    const id = `invalid-${Math.random().toString(36).slice(2)}`;
    const results = await app.ledger.record([
      usageRecord({ ...base, requestId: `${id}-good-a` }),
      usageRecord({ ...base, requestId: `${id}-bad`, ...override }),
      usageRecord({ ...base, requestId: `${id}-good-b` }),
    ]);
    expect(results[1]).toMatchObject({ status: billing.RecordStatus.REJECTED, errorCode: 'INVALID_ARGUMENT' });
    expect(results[1].errorMessage).toContain(message);
    expect(results[0].status).toBe(billing.RecordStatus.RECORDED);
    expect(results[2].status).toBe(billing.RecordStatus.RECORDED);
    expect(await count(`${id}-bad`)).toBe(0n);
  });

  it('rejects rows without a model or usage', async () => {
    const noModel = create(billing.UsageRecordSchema, { ...usageRecord({ ...base, requestId: 'no-model' }), model: undefined });
    const noUsage = create(billing.UsageRecordSchema, { ...usageRecord({ ...base, requestId: 'no-usage' }), usage: undefined });
    const noTime = create(billing.UsageRecordSchema, { ...usageRecord({ ...base, requestId: 'no-time' }), time: undefined });
    const results = await app.ledger.record([noModel, noUsage, noTime]);
    expect(results.map((r) => r.errorMessage)).toEqual(['records[0].model: must be set', 'records[1].usage: must be set', 'records[2].time: must be set']);
  });

  it('refuses a batch over the limit as a whole', async () => {
    const rows = Array.from({ length: MAX_RECORDS_PER_BATCH + 1 }, (_, i) => usageRecord({ ...base, requestId: `too-many-${i}` }));
    await expect(app.ledger.record(rows)).rejects.toThrow('records: at most 1000 rows per call (got 1001)');
    expect(await count('too-many-')).toBe(0n);
  });

  it('counts recorded cost against the team budget exactly once', async () => {
    await app.teams.upsert({ teamId: 'budgeted', displayName: '', baselineModel: '' });
    await app.budgets.setBudget({ teamId: 'budgeted', project: '', period: billing.BudgetPeriod.DAY, limitNanos: 10_000_000n });
    const rows = [1, 2, 3].map((i) => usageRecord({ requestId: `budgeted-${i}`, time: '2026-03-15T11:00:00Z', teamId: 'budgeted' }));
    await app.ledger.record(rows);
    await app.ledger.record(rows);
    // yesterday's row counts toward yesterday, not today
    await app.ledger.record([usageRecord({ requestId: 'budgeted-old', time: '2026-03-14T23:59:59Z', teamId: 'budgeted' })]);
    const budget = await app.budgets.getBudget({ teamId: 'budgeted', project: '' });
    expect(budget).toMatchObject({ spentNanos: 630_000n, reservedNanos: 0n, remainingNanos: 9_370_000n });
  });

  it('answers a batch of new, replayed, conflicting, repeated and invalid rows row by row, in request order', async () => {
    await app.teams.upsert({ teamId: 'mixed', displayName: '', baselineModel: '' });
    await app.budgets.setBudget({ teamId: 'mixed', project: '', period: billing.BudgetPeriod.DAY, limitNanos: 10_000_000n });
    const row = (requestId: string, extra: Partial<UsageRecordInput> = {}) => usageRecord({ requestId, time: '2026-03-15T11:00:00Z', teamId: 'mixed', ...extra });
    const [first] = await app.ledger.record([row('mixed-1'), row('mixed-2')]);
    const results = await app.ledger.record([
      row('mixed-3'),
      row('mixed-1'),
      row('mixed-2', { inputTokens: 5n }),
      row('mixed-4', { inputTokens: -1n }),
      row('mixed-3'),
      row('mixed-5'),
      row('mixed-5', { outputTokens: 7n }),
      row('mixed-6', { teamId: 'nobody' }),
    ]);
    expect(results.map((r) => [r.requestId, billing.RecordStatus[r.status ?? billing.RecordStatus.UNSPECIFIED], r.errorCode ?? ''])).toEqual([
      ['mixed-3', 'RECORDED', ''],
      ['mixed-1', 'DUPLICATE', ''],
      ['mixed-2', 'REJECTED', 'ALREADY_EXISTS'],
      ['mixed-4', 'REJECTED', 'INVALID_ARGUMENT'],
      ['mixed-3', 'DUPLICATE', ''],
      ['mixed-5', 'RECORDED', ''],
      ['mixed-5', 'REJECTED', 'ALREADY_EXISTS'],
      ['mixed-6', 'REJECTED', 'INVALID_ARGUMENT'],
    ]);
    expect(results[1].cost).toEqual(first.cost);
    expect(results[2].errorMessage).toBe('records[2].request_id: "mixed-2" was already recorded with different content (differs in: usage.input_tokens); nothing was changed');
    expect(results[3].errorMessage).toContain('records[3].usage.input_tokens: must not be negative');
    expect(results[4].cost).toEqual(results[0].cost);
    expect(results[6].errorMessage).toContain('records[6].request_id: "mixed-5" repeats records[5] with different content');
    expect(await count('mixed-')).toBe(4n);
    // The budget counts each of the four stored rows once: 4 × 210,000.
    expect(await app.budgets.getBudget({ teamId: 'mixed', project: '' })).toMatchObject({ spentNanos: 840_000n, reservedNanos: 0n });
  });

  it('writes a batch in one statement, without a client-side transaction', async () => {
    const counting = countingDatabase(test.database);
    const ledger = createUsageLedger({ database: counting.database, priceBook: app.priceBook, teams: app.teams, now: clock.now });
    await app.teams.upsert({ teamId: 'one-trip', displayName: '', baselineModel: '' });
    await app.budgets.setBudget({ teamId: 'one-trip', project: 'p', period: billing.BudgetPeriod.DAY, limitNanos: 10_000_000n });
    const hold = await app.budgets.reserve({ requestId: 'one-trip-1', teamId: 'one-trip', project: 'p', amountNanos: 1_000_000n });
    const rows = [1, 2, 3].map((i) => usageRecord({ requestId: `one-trip-${i}`, time: '2026-03-15T11:00:00Z', teamId: 'one-trip', project: 'p' }));
    await ledger.record([usageRecord({ requestId: 'one-trip-0', time: '2026-03-15T11:00:00Z', teamId: 'one-trip', project: 'p' })]);
    counting.statements.length = 0;
    const results = await ledger.record([...rows, usageRecord({ requestId: 'one-trip-0', time: '2026-03-15T11:00:00Z', teamId: 'one-trip', project: 'p' })]);
    expect(results.map((r) => r.status)).toEqual([billing.RecordStatus.RECORDED, billing.RecordStatus.RECORDED, billing.RecordStatus.RECORDED, billing.RecordStatus.DUPLICATE]);
    expect(counting.statements).toHaveLength(1);
    expect(counting.statements[0]).toContain('billing_record_usage(');
    // The hold of one-trip-1 was closed by its row in that same statement.
    expect((await app.budgets.settle({ reservationId: hold.reservationId, actualNanos: 1n })).settledNow).toBe(false);
    expect(await app.budgets.getBudget({ teamId: 'one-trip', project: 'p' })).toMatchObject({ spentNanos: 4n * 210_000n, reservedNanos: 0n });
  });
});

describe('usageContentHash', () => {
  const row = usageRecord({ requestId: 'h-1', time: '2026-03-15T10:00:00Z', teamId: 'search', featureTags: ['a'], reservationId: 'rsv_1' });

  it('covers every field of UsageRecord (update it when the contract grows)', () => {
    expect(billing.UsageRecordSchema.fields.map((f) => f.name)).toEqual([
      'request_id', 'time', 'team_id', 'project', 'feature_tags', 'end_user_id', 'model', 'usage', 'baseline_model', 'latency', 'outcome', 'reservation_id', 'route_rule',
    ]);
  });

  it.each([
    ['request_id', { requestId: 'h-2' }],
    ['time', { time: { seconds: row.time!.seconds, nanos: 1 } }],
    ['team_id', { teamId: 'other' }],
    ['project', { project: 'p' }],
    ['feature_tags', { featureTags: ['a', 'b'] }],
    ['end_user_id', { endUserId: 'u' }],
    ['model.deployment', { model: { ...row.model!, deployment: 'd' } }],
    ['usage.reasoning_tokens', { usage: { ...row.usage!, reasoningTokens: 1n } }],
    ['usage.cache_write_input_tokens', { usage: { ...row.usage!, cacheWriteInputTokens: 1n } }],
    ['usage.estimated', { usage: { ...row.usage!, estimated: true } }],
    ['baseline_model', { baselineModel: 'openai/gpt-4o' }],
    ['latency', { latency: { seconds: 0n, nanos: 1 } }],
    ['outcome', { outcome: billing.UsageOutcome.PARTIAL }],
    ['reservation_id', { reservationId: 'rsv_2' }],
    ['route_rule', { routeRule: 'cheap' }],
  ])('changes when %s changes', (_field, change) => {
    expect(usageContentHash(create(billing.UsageRecordSchema, { ...row, ...change } as billing.UsageRecord))).not.toBe(usageContentHash(row));
  });

  it('keeps the hash of a row without cache writes as it was before the field existed (its replay stays a DUPLICATE)', () => {
    // Computed by the ledger before usage.cache_write_input_tokens was added.
    expect(usageContentHash(row)).toBe('2beee2b4071137de07dda3a7790b6afab8a030fbba0b08eeccf52b8569d114ab');
  });

  it('is stable for equal content', () => {
    expect(usageContentHash(create(billing.UsageRecordSchema, { ...row }))).toBe(usageContentHash(row));
  });
});
