import { readMigrations } from '@switchyard/database';
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import { applyMigrations } from './migration-runner';

describe.each(testBackends())("the evaluator's migrations on %s", (backend) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(backend);
  });
  afterAll(() => test?.close());

  it('are recorded in evaluator_schema_migrations, where existing databases keep them', async () => {
    const shipped = readMigrations(__dirname);
    await applyMigrations(test.database);
    const { rows } = await test.database.query<{ name: string }>('SELECT name FROM evaluator_schema_migrations ORDER BY version');
    expect(rows.map((r) => r.name)).toEqual(shipped.map((m) => m.name));
  });
});
