import { readMigrations } from '@switchyard/database';
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import { applyMigrations } from './migration-runner';

describe.each(testBackends())("billing's migrations on %s", (backend) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(backend);
  });
  afterAll(() => test?.close());

  it('apply once and are recorded in schema_migrations, where existing databases keep them', async () => {
    const shipped = readMigrations(__dirname);
    expect(await applyMigrations(test.database)).toEqual(shipped.map((m) => m.version));
    expect(await applyMigrations(test.database)).toEqual([]);
    const { rows } = await test.database.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.name)).toEqual(shipped.map((m) => m.name));
  });

  it('refuse a schema from a newer billing', async () => {
    await test.database.query(`INSERT INTO schema_migrations (version, name) VALUES (999, 'future')`);
    await expect(applyMigrations(test.database)).rejects.toThrow(/does not know \(999\): is an older billing running/);
    await test.database.query('DELETE FROM schema_migrations WHERE version = 999');
  });
});

describe.each(testBackends())('migration 0003 (prompt-cache writes) on %s', (backend) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(backend);
  });
  afterAll(() => test?.close());

  it('keeps the prices and ledger rows of an older database billing as before, and replaces billing_record_usage', async () => {
    const shipped = readMigrations(__dirname);
    await applyMigrations(test.database, shipped.filter((m) => m.version <= 2));
    await test.database.query(
      `INSERT INTO prices (provider, model, effective_from, version, input_nanos_per_mtok, output_nanos_per_mtok, cached_input_nanos_per_mtok)
       VALUES ('anthropic', 'claude-x', '2026-01-01T00:00:00Z', 'old', 3000000000, 15000000000, 300000000)`,
    );
    await test.database.query(
      `INSERT INTO usage_ledger (request_id, time, team_id, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
         cost_nanos, price_version, baseline_model, baseline_cost_nanos, baseline_price_version, latency_micros, outcome, content_hash)
       VALUES ('old-row', '2026-01-02T00:00:00Z', 't', 'anthropic', 'claude-x', 150, 0, 0, 0, 450000, 'old', 'anthropic/claude-x', 450000, 'old', 0, 1, 'h')`,
    );

    expect(await applyMigrations(test.database, shipped.filter((m) => m.version <= 3))).toEqual([3]);
    const price = await test.database.query('SELECT cache_write_input_nanos_per_mtok FROM prices');
    expect(price.rows).toEqual([{ cache_write_input_nanos_per_mtok: null }]);
    const ledger = await test.database.query('SELECT input_tokens, cache_write_input_tokens, cost_nanos FROM usage_ledger');
    expect(ledger.rows).toEqual([{ input_tokens: 150n, cache_write_input_tokens: 0n, cost_nanos: 450000n }]);
    const functions = await test.database.query<{ args: string }>(
      `SELECT pg_get_function_identity_arguments(oid) AS args FROM pg_proc WHERE proname = 'billing_record_usage'`,
    );
    expect(functions.rows).toHaveLength(1);
    expect(functions.rows[0].args).toContain('p_cache_write_input_tokens bigint[]');
  });
});

describe.each(testBackends())('migration 0004 (estimated usage) on %s', (backend) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(backend);
  });
  afterAll(() => test?.close());

  it('marks older ledger rows as exact and replaces billing_record_usage', async () => {
    const shipped = readMigrations(__dirname);
    await applyMigrations(test.database, shipped.filter((m) => m.version <= 3));
    await test.database.query(
      `INSERT INTO usage_ledger (request_id, time, team_id, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
         cost_nanos, price_version, baseline_model, baseline_cost_nanos, baseline_price_version, latency_micros, outcome, content_hash)
       VALUES ('old-row', '2026-01-02T00:00:00Z', 't', 'openai', 'gpt-x', 150, 0, 0, 0, 450000, 'old', 'openai/gpt-x', 450000, 'old', 0, 1, 'h')`,
    );

    expect(await applyMigrations(test.database)).toEqual([4]);
    const ledger = await test.database.query('SELECT usage_estimated, cost_nanos FROM usage_ledger');
    expect(ledger.rows).toEqual([{ usage_estimated: false, cost_nanos: 450000n }]);
    const functions = await test.database.query<{ args: string }>(
      `SELECT pg_get_function_identity_arguments(oid) AS args FROM pg_proc WHERE proname = 'billing_record_usage'`,
    );
    expect(functions.rows).toHaveLength(1);
    expect(functions.rows[0].args).toContain('p_usage_estimated boolean[]');
  });
});
