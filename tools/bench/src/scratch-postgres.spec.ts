// withBillingDatabase: which database a benchmark's billing gets, and that only the database's
// creation falls back to PGlite (uses the machine's PostgreSQL on 127.0.0.1:5432, like the benchmarks).
import { DEFAULT_POSTGRES_ADMIN_URL, withBillingDatabase } from './scratch-postgres';

const REFUSED = 'postgres://postgres@127.0.0.1:1/postgres';

describe('withBillingDatabase', () => {
  it('gives a new scratch PostgreSQL database per run when the server answers (for auto and postgres)', async () => {
    const name = await withBillingDatabase('auto', { adminUrl: DEFAULT_POSTGRES_ADMIN_URL, prefix: 'bench_spec', log: () => undefined }, async (database) => {
      expect(database?.url).toContain(database!.name);
      return database!.name;
    });
    const again = await withBillingDatabase('postgres', { adminUrl: DEFAULT_POSTGRES_ADMIN_URL, prefix: 'bench_spec', log: () => undefined }, async (database) => database!.name);
    expect(again).not.toBe(name);
  });

  it('falls back to PGlite (no database) for auto when the server does not answer, and says so', async () => {
    const lines: string[] = [];
    const database = await withBillingDatabase('auto', { adminUrl: REFUSED, prefix: 'bench_spec', log: (line) => lines.push(line) }, async (d) => d);
    expect(database).toBeUndefined();
    expect(lines[0]).toMatch(/^PostgreSQL did not answer .*; billing uses embedded PGlite$/);
  });

  it('fails for postgres when the server does not answer, and never asks for pglite', async () => {
    await expect(withBillingDatabase('postgres', { adminUrl: REFUSED, prefix: 'bench_spec', log: () => undefined }, async () => 'ran')).rejects.toThrow();
    expect(await withBillingDatabase('pglite', { adminUrl: REFUSED, prefix: 'bench_spec', log: () => undefined }, async (d) => d ?? 'pglite')).toBe('pglite');
  });

  it('does not run the work again on PGlite when the work itself fails with a connection-like error', async () => {
    let runs = 0;
    const failing = withBillingDatabase('auto', { adminUrl: DEFAULT_POSTGRES_ADMIN_URL, prefix: 'bench_spec', log: () => undefined }, async () => {
      runs++;
      throw new Error('upstream connect timeout');
    });
    await expect(failing).rejects.toThrow('upstream connect timeout');
    expect(runs).toBe(1);
  });
});
