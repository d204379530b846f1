import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { billing } from '@switchyard/contracts';
import { createScratchPostgres, testBackends, type ScratchPostgres } from '@switchyard/database/testing';
import { createBillingClient, SwitchyardError, type BillingServiceClient } from '@switchyard/sdk';
import { startBillingProcess, type BillingProcess } from './testing/billing-process';
import { createTestKeys } from './testing/test-keys';

// Several billing replicas over one PostgreSQL: the check-and-hold is one conditional UPDATE, so no
// interleaving of two processes' reservations can overshoot a budget.
(testBackends().includes('postgres') ? describe : describe.skip)('two billing processes over one PostgreSQL', () => {
  const keys = createTestKeys({ admin: ['ops', 'admin'], router: ['ops', 'service'] });
  let scratch: ScratchPostgres;
  let folder: string;
  let replicas: BillingProcess[] = [];
  const clients: BillingServiceClient[] = [];

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    folder = mkdtempSync(join(tmpdir(), 'billing-replicas-'));
    const keyFile = join(folder, 'api-keys.json');
    writeFileSync(keyFile, keys.fileContent);
    const env = {
      DATABASE_URL: scratch.url,
      SWITCHYARD_AUTH__API_KEYS_FILE: keyFile,
      SWITCHYARD_BOOTSTRAP_TEAMS: '[{teamId: race, displayName: Race}]',
      SWITCHYARD_DATABASE__MAX_CONNECTIONS: '8',
    };
    // Both start at once: the migrations' advisory lock makes the second wait for the first.
    replicas = await Promise.all([startBillingProcess(env), startBillingProcess(env)]);
    for (const replica of replicas) {
      for (let i = 0; i < 2; i++) clients.push(createBillingClient(replica.address, { apiKey: keys.secrets.router, timeoutMs: 60_000 }));
    }
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await scratch?.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('grants exactly 100 of 200 concurrent holds against a budget that fits 100', async () => {
    const admin = createBillingClient(replicas[0].address, { apiKey: keys.secrets.admin });
    const amount = 12_345n;
    try {
      await admin.setBudget({ teamId: 'race', period: billing.BudgetPeriod.DAY, limitNanosUsd: 100n * amount });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => clients[i % clients.length].reserveBudget({ requestId: `race-${i}`, teamId: 'race', amountNanosUsd: amount })),
      );
      const granted = outcomes.filter((o): o is PromiseFulfilledResult<billing.ReserveBudgetResponse> => o.status === 'fulfilled');
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(granted).toHaveLength(100);
      expect(refused).toHaveLength(100);
      for (const o of refused) {
        expect(o.reason).toBeInstanceOf(SwitchyardError);
        expect((o.reason as SwitchyardError).code).toBe(status.RESOURCE_EXHAUSTED);
        expect((o.reason as SwitchyardError).details.quotaFailure?.violations[0].subject).toBe('team:race');
      }
      // both replicas granted some (the load really was shared)
      const grantedByReplica = [0, 1].map((r) => outcomes.filter((o, i) => o.status === 'fulfilled' && Math.floor((i % clients.length) / 2) === r).length);
      expect(grantedByReplica.every((n) => n > 0)).toBe(true);
      const budget = (await admin.getBudget({ teamId: 'race' })).budget!;
      expect(budget).toMatchObject({ limitNanosUsd: 100n * amount, reservedNanosUsd: 100n * amount, spentNanosUsd: 0n, remainingNanosUsd: 0n });

      // settle every hold at half its amount, concurrently over both replicas, twice: counted once
      const settle = () =>
        Promise.all(granted.map((g, i) => clients[i % clients.length].settleBudget({ reservationId: g.value.reservationId, actualNanosUsd: amount / 2n })));
      const first = await settle();
      const second = await settle();
      expect(first.filter((r) => r.settledNow)).toHaveLength(100);
      expect(second.filter((r) => r.settledNow)).toHaveLength(0);
      expect((await admin.getBudget({ teamId: 'race' })).budget).toMatchObject({ reservedNanosUsd: 0n, spentNanosUsd: 100n * (amount / 2n), remainingNanosUsd: 100n * amount - 100n * (amount / 2n) });
    } finally {
      admin.close();
    }
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    const codes = await Promise.all(replicas.map((replica) => replica.stop()));
    expect(codes).toEqual([0, 0]);
  });
});
