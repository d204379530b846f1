import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { billing } from '@switchyard/contracts';
import { createBillingClient } from '@switchyard/sdk';
import { startBillingProcess } from './testing/billing-process';
import { createTestKeys } from './testing/test-keys';
import { usageRecord } from './testing/usage-records';

// A fresh checkout: no DATABASE_URL, so billing runs on embedded PGlite in a local folder.
describe('billing main on embedded PGlite', () => {
  const keys = createTestKeys({ router: ['ops', 'service'], alpha: ['alpha', 'team'] });
  let folder: string;

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'billing-main-'));
    writeFileSync(join(folder, 'api-keys.json'), keys.fileContent);
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps the ledger in its data folder across restarts', async () => {
    const env = {
      DATABASE_URL: '',
      SWITCHYARD_DATABASE__DATA_DIR: join(folder, 'data'),
      SWITCHYARD_AUTH__API_KEYS_FILE: join(folder, 'api-keys.json'),
      SWITCHYARD_BOOTSTRAP_TEAMS: '[{teamId: alpha, baselineModel: openai/gpt-4o}]',
    };
    const row = usageRecord({ requestId: 'persisted-1', time: new Date(Date.now() - 60_000), teamId: 'alpha' });

    const first = await startBillingProcess(env);
    const router = createBillingClient(first.address, { apiKey: keys.secrets.router });
    expect((await router.recordUsage({ records: [row] })).results[0].status).toBe(billing.RecordStatus.RECORDED);
    router.close();
    expect(await first.stop()).toBe(0);

    const second = await startBillingProcess(env);
    const router2 = createBillingClient(second.address, { apiKey: keys.secrets.router });
    const alpha = createBillingClient(second.address, { apiKey: keys.secrets.alpha });
    try {
      expect((await router2.recordUsage({ records: [row] })).results[0].status).toBe(billing.RecordStatus.DUPLICATE);
      const spend = await alpha.querySpend({});
      expect(spend.rows[0]).toMatchObject({ requestCount: 1n, costNanosUsd: 210_000n, baselineCostNanosUsd: 3_500_000n });
    } finally {
      router2.close();
      alpha.close();
      expect(await second.stop()).toBe(0);
    }
  });

  it('refuses to start with a bad config, naming the key', async () => {
    await expect(startBillingProcess({ SWITCHYARD_RESERVATIONS__DEFAULT_TTL_MS: '-5', SWITCHYARD_DATABASE__DATA_DIR: join(folder, 'bad') })).rejects.toThrow(
      /reservations\.defaultTtlMs/,
    );
  });
});
