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
