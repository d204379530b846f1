import { applyMigrations, readMigrations } from '../migrations/migration-runner';
import { createPostgresDatabase } from './postgres-database';
import { createScratchPostgres, createTestDatabase, testBackends, type TestDatabase } from '../testing/test-databases';

describe.each(testBackends())('database on %s', (backend) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(backend);
  });
  afterAll(() => test?.close());

  it('returns int8 as bigint, numeric as string, and takes bigint parameters', async () => {
    const { rows } = await test.database.query<{ a: bigint; b: bigint; s: string }>(
      'SELECT $1::bigint AS a, 5::int8 AS b, SUM(x)::numeric AS s FROM (VALUES (9223372036854775807::numeric), (1)) v(x)',
      [9_007_199_254_740_993n],
    );
    expect(rows[0]).toEqual({ a: 9_007_199_254_740_993n, b: 5n, s: '9223372036854775808' });
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await test.database.exec('CREATE TABLE t_commit (id int PRIMARY KEY)');
    await test.database.transaction(async (tx) => {
      await tx.query('INSERT INTO t_commit VALUES (1)');
    });
    await expect(
      test.database.transaction(async (tx) => {
        await tx.query('INSERT INTO t_commit VALUES (2)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await test.database.query<{ id: number }>('SELECT id FROM t_commit ORDER BY id');
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('applies migrations once and records them', async () => {
    expect(await applyMigrations(test.database)).toEqual(readMigrations().map((m) => m.version));
    expect(await applyMigrations(test.database)).toEqual([]);
    const { rows } = await test.database.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.name)).toEqual(readMigrations().map((m) => m.name));
  });

  it('refuses to run against a schema from a newer build', async () => {
    await test.database.query(`INSERT INTO schema_migrations (version, name) VALUES (999, 'future')`);
    await expect(applyMigrations(test.database)).rejects.toThrow(/does not know \(999\)/);
    await test.database.query('DELETE FROM schema_migrations WHERE version = 999');
  });

  it('leaves the schema unchanged when a migration fails', async () => {
    const migrations = [...readMigrations(), { version: readMigrations().length + 1, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' }];
    await expect(applyMigrations(test.database, { migrations })).rejects.toThrow();
    const { rows } = await test.database.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(rows).toHaveLength(0);
  });
});

(testBackends().includes('postgres') ? describe : describe.skip)('migrations from several replicas at once', () => {
  it('applies each migration exactly once when replicas start together', async () => {
    const scratch = await createScratchPostgres();
    const replicas = await Promise.all([1, 2, 3].map(() => createPostgresDatabase({ url: scratch.url, maxConnections: 2 })));
    try {
      const applied = await Promise.all(replicas.map((replica) => applyMigrations(replica)));
      expect(applied.flat().sort()).toEqual(readMigrations().map((m) => m.version));
      const { rows } = await replicas[0].query<{ n: bigint }>('SELECT COUNT(*) AS n FROM schema_migrations');
      expect(rows[0].n).toBe(BigInt(readMigrations().length));
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await scratch.drop();
    }
  });
});
