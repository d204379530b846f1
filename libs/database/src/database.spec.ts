import { createTestDatabase, testBackends, type TestDatabase } from './testing/test-databases';

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

  it('runs every session in UTC', async () => {
    const { rows } = await test.database.query<{ zone: string }>('SELECT current_setting($1) AS zone', ['TimeZone']);
    expect(rows[0].zone).toBe('UTC');
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

  it('counts the rows a statement touched', async () => {
    await test.database.exec('CREATE TABLE t_count (id int PRIMARY KEY); INSERT INTO t_count VALUES (1), (2), (3)');
    expect((await test.database.query('UPDATE t_count SET id = id + 10 WHERE id > 1')).rowCount).toBe(2);
  });
});
