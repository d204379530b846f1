// Test support: billing over the test databases of @switchyard/database/testing (PGlite and PostgreSQL).
import type { Database } from '@switchyard/database';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { createBilling, prepareBillingDatabase, type Billing } from '../billing-app';

/** A mutable clock for tests. */
export interface TestClock {
  now: () => Date;
  set(iso: string | Date): void;
  advance(ms: number): void;
}

/** A clock starting at `iso`. */
export function createTestClock(iso: string): TestClock {
  let current = new Date(iso);
  return {
    now: () => new Date(current.getTime()),
    set: (value) => (current = new Date(value)),
    advance: (ms) => (current = new Date(current.getTime() + ms)),
  };
}

/** A migrated billing over a test database, seeded with the shipped catalog and the given teams. */
export async function createTestBilling(
  database: Database,
  options: { now?: () => Date; teams?: Array<{ teamId: string; displayName?: string; baselineModel?: string }>; teamCacheTtlMs?: number } = {},
): Promise<Billing> {
  const app = createBilling({ database, now: options.now, teamCacheTtlMs: options.teamCacheTtlMs });
  await prepareBillingDatabase(app, {
    seedCatalog: defaultPriceCatalog(),
    bootstrapTeams: (options.teams ?? []).map((t) => ({ teamId: t.teamId, displayName: t.displayName ?? t.teamId, baselineModel: t.baselineModel ?? '' })),
  });
  return app;
}
