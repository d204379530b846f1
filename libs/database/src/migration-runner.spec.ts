import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, readMigrations, type MigrationOptions } from './migration-runner';
import { createPostgresDatabase } from './postgres-database';
import { createScratchPostgres, createTestDatabase, testBackends, type TestDatabase } from './testing/test-databases';

const FIXTURES = join(__dirname, 'testdata', 'migrations');
const notesSchema: MigrationOptions = { folder: FIXTURES, table: 'notes_schema_migrations', lockKey: 7_301_155_900, owner: 'notes service' };

describe('readMigrations', () => {
  it('reads NNNN_name.sql files in version order', () => {
    expect(readMigrations(FIXTURES).map((m) => [m.version, m.name])).toEqual([
      [1, 'create_notes'],
      [2, 'add_note_author'],
    ]);
  });

  it('refuses a gap in the versions', () => {
    const folder = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      writeFileSync(join(folder, '0001_first.sql'), 'SELECT 1;');
      writeFileSync(join(folder, '0003_third.sql'), 'SELECT 1;');
      expect(() => readMigrations(folder)).toThrow(/without gaps; found 3 at position 2/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe.each(testBackends())('migrations on %s', (backend) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(backend);
  });
  afterAll(() => test?.close());

  it('applies migrations once and records them in the owner\'s table', async () => {
    expect(await applyMigrations(test.database, notesSchema)).toEqual([1, 2]);
    expect(await applyMigrations(test.database, notesSchema)).toEqual([]);
    const { rows } = await test.database.query<{ version: number; name: string }>('SELECT version, name FROM notes_schema_migrations ORDER BY version');
    expect(rows).toEqual([
      { version: 1, name: 'create_notes' },
      { version: 2, name: 'add_note_author' },
    ]);
    await test.database.query(`INSERT INTO notes (note_id, body, author) VALUES (1, 'hello', 'ada')`);
  });

  it('keeps each owner\'s bookkeeping apart, so services can share a database', async () => {
    const other: MigrationOptions = { ...notesSchema, table: 'other_schema_migrations', lockKey: 7_301_155_901, owner: 'other service', migrations: [{ version: 1, name: 'create_other', sql: 'CREATE TABLE other (id int)' }] };
    expect(await applyMigrations(test.database, other)).toEqual([1]);
    expect(await applyMigrations(test.database, notesSchema)).toEqual([]);
  });

  it('refuses to run against a schema from a newer build, naming the owner', async () => {
    await test.database.query(`INSERT INTO notes_schema_migrations (version, name) VALUES (999, 'future')`);
    await expect(applyMigrations(test.database, notesSchema)).rejects.toThrow(/does not know \(999\): is an older notes service running/);
    await test.database.query('DELETE FROM notes_schema_migrations WHERE version = 999');
  });

  it('leaves the schema unchanged when a migration fails', async () => {
    const migrations = [...readMigrations(FIXTURES), { version: 3, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' }];
    await expect(applyMigrations(test.database, { ...notesSchema, migrations })).rejects.toThrow();
    const { rows } = await test.database.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(rows).toHaveLength(0);
  });

  it('refuses a bookkeeping table name that is not a plain identifier', async () => {
    await expect(applyMigrations(test.database, { ...notesSchema, table: 'x; DROP TABLE notes' })).rejects.toThrow(/must be a lower-case SQL identifier/);
  });
});

(testBackends().includes('postgres') ? describe : describe.skip)('migrations from several replicas at once', () => {
  it('applies each migration exactly once when replicas start together', async () => {
    const scratch = await createScratchPostgres();
    const replicas = await Promise.all([1, 2, 3].map(() => createPostgresDatabase({ url: scratch.url, maxConnections: 2 })));
    try {
      const applied = await Promise.all(replicas.map((replica) => applyMigrations(replica, notesSchema)));
      expect(applied.flat().sort()).toEqual([1, 2]);
      const { rows } = await replicas[0].query<{ n: bigint }>('SELECT COUNT(*) AS n FROM notes_schema_migrations');
      expect(rows[0].n).toBe(2n);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await scratch.drop();
    }
  });
});
