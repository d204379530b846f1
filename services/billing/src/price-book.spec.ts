import { billing } from '@switchyard/contracts';
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import { defaultPriceCatalog, type CatalogPrice } from '@switchyard/pricing';
import type { Billing } from './billing-app';
import { ConflictingDuplicateError, InvalidFieldError } from './billing-errors';
import { createTestBilling, createTestClock } from './testing/test-databases';
import { usageRecord } from './testing/usage-records';

const at = (iso: string) => new Date(iso);
const entry = (overrides: Partial<CatalogPrice>): CatalogPrice => ({
  provider: 'acme',
  model: 'acme-1',
  version: 'v1',
  inputNanosPerMtok: 1_000_000_000n,
  outputNanosPerMtok: 2_000_000_000n,
  cachedInputNanosPerMtok: 500_000_000n,
  capacityNanosPerHour: 0n,
  source: 'https://acme.example/pricing',
  effectiveFrom: at('2026-01-01T00:00:00Z'),
  selfHosted: false,
  ...overrides,
});

describe.each(testBackends())('price book on %s', (backend) => {
  let test: TestDatabase;
  let app: Billing;
  const clock = createTestClock('2026-03-15T12:00:00Z');

  beforeAll(async () => {
    test = await createTestDatabase(backend);
    app = await createTestBilling(test.database, { now: clock.now, teams: [{ teamId: 'acme-team' }] });
  });
  afterAll(() => test?.close());

  it('seeds the shipped catalog once', async () => {
    const shipped = defaultPriceCatalog();
    expect(await app.priceBook.seed(shipped)).toEqual({ inserted: 0, skipped: [], cacheWritePricesAdded: 0 });
    const current = await app.priceBook.current();
    expect(current.entries()).toHaveLength(shipped.entries().length);
    expect(current.priceAt({ provider: 'openai', model: 'gpt-4o' }, at('2026-01-01T00:00:00Z'))?.inputNanosPerMtok).toBe(2_500_000_000n);
  });

  it('stores cache-write prices, NULL meaning the input price', async () => {
    const current = await app.priceBook.current();
    const now = at('2026-03-01T00:00:00Z');
    expect(current.priceAt({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, now)?.cacheWriteInputNanosPerMtok).toBe(3_750_000_000n);
    expect(current.priceAt({ provider: 'openai', model: 'gpt-4o' }, now)?.cacheWriteInputNanosPerMtok).toBeUndefined();
    const { rows } = await test.database.query<{ n: bigint }>(`SELECT count(*) AS n FROM prices WHERE provider = 'openai' AND cache_write_input_nanos_per_mtok IS NULL`);
    expect(rows[0].n).toBeGreaterThan(0n);
  });

  it('gives stored prices without a cache-write price the shipped one when the price is otherwise the same', async () => {
    // As a database seeded before migration 0003 has them.
    await test.database.query(`UPDATE prices SET cache_write_input_nanos_per_mtok = NULL WHERE provider = 'anthropic'`);
    // One stored Anthropic price that differs from the shipped one keeps its NULL (the database wins).
    await test.database.query(`UPDATE prices SET note = 'contract', version = 'negotiated' WHERE provider = 'anthropic' AND model = 'claude-3-5-haiku'`);
    expect(await app.priceBook.seed(defaultPriceCatalog())).toEqual({ inserted: 0, skipped: [], cacheWritePricesAdded: 3 });
    const current = await app.priceBook.current();
    const now = at('2026-03-01T00:00:00Z');
    expect(current.priceAt({ provider: 'anthropic', model: 'claude-opus-4-1' }, now)?.cacheWriteInputNanosPerMtok).toBe(18_750_000_000n);
    expect(current.priceAt({ provider: 'anthropic', model: 'claude-3-5-haiku' }, now)?.cacheWriteInputNanosPerMtok).toBeUndefined();
    expect(await app.priceBook.seed(defaultPriceCatalog())).toEqual({ inserted: 0, skipped: [], cacheWritePricesAdded: 0 });
  });

  it('upserts a cache-write price and refuses a bad one', async () => {
    const priced = entry({ model: 'acme-cache', cacheWriteInputNanosPerMtok: 1_250_000_000n });
    expect(await app.priceBook.upsert('add-acme-cache', [priced])).toBe(1);
    expect((await app.priceBook.current()).priceAt({ provider: 'acme', model: 'acme-cache' }, at('2026-02-01T00:00:00Z'))?.cacheWriteInputNanosPerMtok).toBe(1_250_000_000n);
    // The same start with another cache-write price is a different price.
    await expect(app.priceBook.upsert('change-acme-cache', [entry({ model: 'acme-cache' })])).rejects.toThrow();
    await expect(app.priceBook.upsert('bad-acme-cache', [entry({ model: 'acme-bad', cacheWriteInputNanosPerMtok: -1n })])).rejects.toThrow(
      'prices[0].price.cache_write_input_nanos_usd_per_mtok: must not be negative',
    );
  });

  it('lists prices by page, by provider and as of a time', async () => {
    const names: string[] = [];
    let pageToken = '';
    do {
      const page = await app.priceBook.list({ provider: 'openai', pageSize: 3, pageToken });
      names.push(...page.entries.map((e) => e.model));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(names).toEqual(['gpt-4-1106-preview', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o', 'gpt-4o-mini', 'o4-mini']);
    const asOf = await app.priceBook.list({ provider: 'openai', asOf: at('2024-06-01T00:00:00Z'), pageSize: 0, pageToken: '' });
    expect(asOf.entries.map((e) => `${e.model}:${e.inputNanosPerMtok}`)).toEqual(['gpt-4-1106-preview:10000000000', 'gpt-4o:5000000000']);
  });

  it('adds a model, then a new version that closes the old one, and prices usage by time', async () => {
    expect(await app.priceBook.upsert('add-acme', [entry({})])).toBe(1);
    expect(await app.priceBook.upsert('add-acme', [entry({})])).toBe(1); // idempotent replay
    await expect(app.priceBook.upsert('add-acme', [entry({ version: 'other' })])).rejects.toBeInstanceOf(ConflictingDuplicateError);
    await app.priceBook.upsert('acme-v2', [
      entry({ effectiveUntil: at('2026-03-01T00:00:00Z') }),
      entry({ version: 'v2', inputNanosPerMtok: 3_000_000_000n, effectiveFrom: at('2026-03-01T00:00:00Z') }),
    ]);
    const results = await app.ledger.record([
      usageRecord({ requestId: 'acme-feb', time: '2026-02-28T23:59:59Z', teamId: 'acme-team', provider: 'acme', model: 'acme-1', inputTokens: 1_000_000n, outputTokens: 0n }),
      usageRecord({ requestId: 'acme-mar', time: '2026-03-01T00:00:00Z', teamId: 'acme-team', provider: 'acme', model: 'acme-1', inputTokens: 1_000_000n, outputTokens: 0n }),
    ]);
    expect(results.map((r) => [r.status, r.cost?.nanosUsd, r.cost?.priceVersion])).toEqual([
      [billing.RecordStatus.RECORDED, 1_000_000_000n, 'v1'],
      [billing.RecordStatus.RECORDED, 3_000_000_000n, 'v2'],
    ]);
  });

  it('sees another replica\'s price change at its next use', async () => {
    const other = await createTestBilling(test.database, { now: clock.now });
    await other.priceBook.current();
    await app.priceBook.upsert('replica-price', [entry({ model: 'acme-replica' })]);
    expect((await other.priceBook.current()).priceAt({ provider: 'acme', model: 'acme-replica' }, clock.now())).toBeDefined();
  });

  it.each([
    ['an overlap with a stored range', [entry({ model: 'acme-1', version: 'v3', effectiveFrom: at('2026-04-01T00:00:00Z') })], 'prices[0].effective_time', /overlaps the range \[2026-03-01T00:00:00.000Z, open-ended\)/],
    [
      'a gap',
      [entry({ model: 'gap', effectiveUntil: at('2026-02-01T00:00:00Z') }), entry({ model: 'gap', version: 'v2', effectiveFrom: at('2026-02-02T00:00:00Z') })],
      'prices[1].effective_time',
      /leaves a gap/,
    ],
    ['an inverted range', [entry({ model: 'inverted', effectiveUntil: at('2025-01-01T00:00:00Z') })], 'prices[0].expire_time', /must be after effectiveFrom/],
    ['a changed amount for a stored start', [entry({ model: 'acme-1', inputNanosPerMtok: 7n })], 'prices[0]', /already has a price starting 2026-01-01T00:00:00.000Z \(version v1\) with different amounts/],
    ['a negative price', [entry({ model: 'neg', outputNanosPerMtok: -1n })], 'prices[0].price.output_nanos_usd_per_mtok', /must not be negative/],
    ['a capacity price without a deployment', [entry({ model: 'gpu', capacityNanosPerHour: 1n })], 'prices[0].model.deployment', /must be set for a capacity/],
    ['a missing version', [entry({ model: 'nov', version: '' })], 'prices[0].price.version', /must be set/],
    ['the same start twice', [entry({ model: 'twice' }), entry({ model: 'twice' })], 'prices[1].effective_time', /repeats prices\[0\]/],
  ])('rejects %s naming the field, writing nothing', async (_name, entries, field, message) => {
    const before = (await app.priceBook.current()).entries().length;
    const error = await app.priceBook.upsert(`bad-${field}-${String(message)}`, entries).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect((error as InvalidFieldError).field).toBe(field);
    expect((error as InvalidFieldError).description).toMatch(message);
    expect((await app.priceBook.current()).entries().length).toBe(before);
  });

  it('rejects an empty change or a missing request id', async () => {
    await expect(app.priceBook.upsert('', [entry({})])).rejects.toThrow('request_id: must be set');
    await expect(app.priceBook.upsert('empty', [])).rejects.toThrow('prices: must contain at least one entry');
  });

  it('validates team baselines against the catalog', async () => {
    await expect(app.teams.upsert({ teamId: 'baseline-team', displayName: '', baselineModel: 'openai/not-a-model' })).rejects.toThrow('team.baseline_model: openai/not-a-model has no price now');
    await expect(app.teams.upsert({ teamId: 'bad id', displayName: '', baselineModel: '' })).rejects.toThrow('team.team_id');
    expect(await app.teams.upsert({ teamId: 'baseline-team', displayName: 'B', baselineModel: 'anthropic/claude-sonnet-4-5' })).toEqual({ teamId: 'baseline-team', displayName: 'B', baselineModel: 'anthropic/claude-sonnet-4-5' });
    const page = await app.teams.list({ pageSize: 1, pageToken: '' });
    expect(page.teams).toHaveLength(1);
    const next = await app.teams.list({ pageSize: 10, pageToken: page.nextPageToken });
    expect([...page.teams, ...next.teams].map((t) => t.teamId)).toEqual(['acme-team', 'baseline-team']);
  });
});
