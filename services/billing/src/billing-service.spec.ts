import { status } from '@grpc/grpc-js';
import { billing } from '@switchyard/contracts';
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import { createApiKeyAuthenticator, createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { createBillingClient, SwitchyardError, type BillingServiceClient } from '@switchyard/sdk';
import { startBillingServer, type Billing } from './billing-app';
import { createTestBilling } from './testing/test-databases';
import { createTestKeys } from './testing/test-keys';
import { usageRecord } from './testing/usage-records';

const keys = createTestKeys({ admin: ['ops', 'admin'], router: ['ops', 'service'], alpha: ['alpha', 'team'], beta: ['beta', 'team'] });

async function failure(call: Promise<unknown>): Promise<SwitchyardError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SwitchyardError)) throw new Error(`expected a SwitchyardError, got ${String(error)}`);
  return error;
}

describe.each(testBackends())('BillingService over gRPC on %s', (backend) => {
  let test: TestDatabase;
  let app: Billing;
  let server: RunningGrpcServer;
  const clients: Record<string, BillingServiceClient> = {};
  const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000); // the previous full hour

  beforeAll(async () => {
    test = await createTestDatabase(backend, { maxConnections: 10 });
    app = await createTestBilling(test.database, { teams: [{ teamId: 'alpha', baselineModel: 'openai/gpt-4o' }, { teamId: 'beta' }] });
    server = await startBillingServer({ app, address: '127.0.0.1:0', authenticate: createApiKeyAuthenticator(keys.store), logger: createLogger({ service: 'billing', level: 'silent' }) });
    for (const [name, secret] of Object.entries(keys.secrets)) clients[name] = createBillingClient(server.address, { apiKey: secret, timeoutMs: 60_000 });
    clients.anonymous = createBillingClient(server.address);
  });
  afterAll(async () => {
    for (const client of Object.values(clients)) client.close();
    await server?.shutdown(1000);
    await test?.close();
  });

  describe('authorization', () => {
    it('refuses a call without a key', async () => {
      const error = await failure(clients.anonymous.listPrices({}));
      expect(error.code).toBe(status.UNAUTHENTICATED);
    });

    it('lets only the router (service) and admins record usage and hold budget', async () => {
      const record = { records: [usageRecord({ requestId: 'auth-1', time: hour, teamId: 'alpha' })] };
      expect((await failure(clients.alpha.recordUsage(record))).code).toBe(status.PERMISSION_DENIED);
      expect((await clients.router.recordUsage(record)).results[0].status).toBe(billing.RecordStatus.RECORDED);
      expect((await failure(clients.alpha.reserveBudget({ requestId: 'auth-r', teamId: 'alpha', amountNanosUsd: 1n }))).code).toBe(status.PERMISSION_DENIED);
      expect((await clients.router.reserveBudget({ requestId: 'auth-r', teamId: 'alpha', amountNanosUsd: 1n })).remainingNanosUsd).toBe(-1n);
    });

    it('lets only admins manage budgets, prices and teams', async () => {
      for (const name of ['alpha', 'router']) {
        expect((await failure(clients[name].setBudget({ teamId: 'alpha', period: billing.BudgetPeriod.DAY, limitNanosUsd: 1n }))).code).toBe(status.PERMISSION_DENIED);
        expect((await failure(clients[name].upsertTeam({ team: { teamId: 'gamma' } }))).code).toBe(status.PERMISSION_DENIED);
        expect((await failure(clients[name].upsertPrices({ requestId: 'x', prices: [] }))).code).toBe(status.PERMISSION_DENIED);
      }
      expect((await clients.admin.upsertTeam({ team: { teamId: 'gamma', displayName: 'Gamma', baselineModel: 'openai/gpt-4o-mini' } })).team).toMatchObject({ teamId: 'gamma' });
    });

    it('lets a team key read only its own spend, savings, budget and team', async () => {
      await clients.router.recordUsage({ records: [usageRecord({ requestId: 'auth-beta', time: hour, teamId: 'beta' })] });
      const own = await clients.alpha.querySpend({ groupBy: [billing.SpendDimension.TEAM] });
      expect(own.rows.map((r) => r.group.team)).toEqual(['alpha']);
      const denied = await failure(clients.alpha.querySpend({ teamId: 'beta' }));
      expect(denied.code).toBe(status.PERMISSION_DENIED);
      expect(denied.message).toBe('a key of team alpha may not read team beta');
      expect((await failure(clients.alpha.querySavings({ teamId: 'beta' }))).code).toBe(status.PERMISSION_DENIED);
      expect((await failure(clients.alpha.getBudget({ teamId: 'beta' }))).code).toBe(status.PERMISSION_DENIED);
      expect((await failure(clients.router.querySpend({}))).code).toBe(status.PERMISSION_DENIED);
      const all = await clients.admin.querySpend({ groupBy: [billing.SpendDimension.TEAM] });
      expect(all.rows.map((r) => r.group.team)).toEqual(['alpha', 'beta']);
      expect((await clients.alpha.listTeams({})).teams.map((t) => t.teamId)).toEqual(['alpha']);
      expect((await clients.admin.listTeams({})).teams.map((t) => t.teamId)).toEqual(['alpha', 'beta', 'gamma']);
    });
  });

  describe('errors', () => {
    it('answers a spent budget with RESOURCE_EXHAUSTED and QuotaFailure details', async () => {
      await clients.admin.setBudget({ teamId: 'beta', project: 'tight', period: billing.BudgetPeriod.DAY, limitNanosUsd: 1_000n });
      await clients.router.reserveBudget({ requestId: 'tight-1', teamId: 'beta', project: 'tight', amountNanosUsd: 800n });
      const error = await failure(clients.router.reserveBudget({ requestId: 'tight-2', teamId: 'beta', project: 'tight', amountNanosUsd: 300n }));
      expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.reason).toBe('BUDGET_EXHAUSTED');
      expect(error.details.errorInfo?.domain).toBe('billing.switchyard.dev');
      expect(error.details.quotaFailure?.violations).toEqual([
        expect.objectContaining({ subject: 'team:beta/project:tight', description: expect.stringContaining('remaining $0.0000002; requested $0.0000003') }),
      ]);
      const budget = await clients.beta.getBudget({ project: 'tight' });
      expect(budget.budget).toMatchObject({ limitNanosUsd: 1_000n, reservedNanosUsd: 800n, remainingNanosUsd: 200n, period: billing.BudgetPeriod.DAY });
    });

    it('answers bad input with INVALID_ARGUMENT and a BadRequest field violation', async () => {
      const error = await failure(clients.router.reserveBudget({ requestId: 'bad', teamId: 'alpha', amountNanosUsd: -5n }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.message).toBe('amount_nanos_usd: must be positive');
      expect(error.details.badRequest?.fieldViolations).toEqual([expect.objectContaining({ field: 'amount_nanos_usd' })]);
      const unknownTeam = await failure(clients.router.reserveBudget({ requestId: 'bad', teamId: 'nobody', amountNanosUsd: 5n }));
      expect(unknownTeam.message).toBe('team_id: unknown team "nobody"');
    });

    it('rejects prices with a gap naming the entry', async () => {
      const price = { version: 'v1', inputNanosUsdPerMtok: 1n, outputNanosUsdPerMtok: 1n, cachedInputNanosUsdPerMtok: 1n, source: 'test' };
      const error = await failure(
        clients.admin.upsertPrices({
          requestId: 'gap',
          prices: [
            { model: { provider: 'x', model: 'y' }, price, effectiveTime: { seconds: 1_700_000_000n }, expireTime: { seconds: 1_700_003_600n } },
            { model: { provider: 'x', model: 'y' }, price, effectiveTime: { seconds: 1_700_007_200n } },
          ],
        }),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details.badRequest?.fieldViolations[0].field).toBe('prices[1].effective_time');
      const listed = await clients.alpha.listPrices({ provider: 'x' });
      expect(listed.prices).toHaveLength(0);
    });

    it('answers a reused reservation request id with ALREADY_EXISTS and an unknown hold with NOT_FOUND', async () => {
      await clients.router.reserveBudget({ requestId: 'reuse', teamId: 'alpha', amountNanosUsd: 10n });
      expect((await failure(clients.router.reserveBudget({ requestId: 'reuse', teamId: 'alpha', amountNanosUsd: 11n }))).code).toBe(status.ALREADY_EXISTS);
      expect((await failure(clients.router.settleBudget({ reservationId: 'rsv_missing' }))).code).toBe(status.NOT_FOUND);
    });

    it('answers a hold for an already served request id with ALREADY_EXISTS REQUEST_ALREADY_SERVED naming the id', async () => {
      await clients.router.recordUsage({ records: [usageRecord({ requestId: 'served-once', time: hour, teamId: 'alpha' })] });
      const error = await failure(clients.router.reserveBudget({ requestId: 'served-once', teamId: 'alpha', amountNanosUsd: 10n }));
      expect(error.code).toBe(status.ALREADY_EXISTS);
      expect(error.reason).toBe('REQUEST_ALREADY_SERVED');
      expect(error.details.errorInfo?.metadata).toMatchObject({ request_id: 'served-once', team_id: 'alpha' });
      expect(error.message).toContain('served-once');
    });

    it('returns per-row results for a mixed batch', async () => {
      const { results } = await clients.router.recordUsage({
        records: [usageRecord({ requestId: 'mixed-1', time: hour, teamId: 'alpha' }), usageRecord({ requestId: '', time: hour, teamId: 'alpha' })],
      });
      expect(results.map((r) => [r.status, r.errorCode])).toEqual([
        [billing.RecordStatus.RECORDED, ''],
        [billing.RecordStatus.REJECTED, 'INVALID_ARGUMENT'],
      ]);
      expect(results[1].errorMessage).toBe('records[1].request_id: must be set (it is the idempotency key)');
    });
  });

  it('lists prices with their sources and capacity attribution for self-hosted hours', async () => {
    const { prices } = await clients.alpha.listPrices({ provider: 'vllm-qwen', asOfTime: { seconds: BigInt(Math.floor(Date.now() / 1000)) } });
    expect(prices).toEqual([expect.objectContaining({ model: expect.objectContaining({ deployment: 'vllm-qwen-l4' }), price: expect.objectContaining({ capacityNanosUsdPerHour: 850_000_000n }) })]);
    const qwen = { provider: 'vllm-qwen', model: 'qwen2.5-7b-instruct', deployment: 'vllm-qwen-l4' };
    await clients.router.recordUsage({
      records: [
        usageRecord({ requestId: 'cap-a', time: new Date(hour.getTime() + 60_000), teamId: 'alpha', ...qwen, inputTokens: 300n, outputTokens: 0n }),
        usageRecord({ requestId: 'cap-b', time: new Date(hour.getTime() + 120_000), teamId: 'beta', ...qwen, inputTokens: 100n, outputTokens: 0n }),
      ],
    });
    const start = { seconds: BigInt(hour.getTime() / 1000) };
    const admin = await clients.admin.queryCapacityCost({ startTime: start, deployment: 'vllm-qwen-l4' });
    expect(admin.rows.map((r) => [r.teamId, r.tokens, r.attributedNanosUsd])).toEqual([
      ['alpha', 300n, 637_500_000n],
      ['beta', 100n, 212_500_000n],
    ]);
    const beta = await clients.beta.queryCapacityCost({ startTime: start });
    expect(beta.rows.map((r) => r.teamId)).toEqual(['beta']);
  });

  it('ingests 10,000 rows with 10% duplicates from several concurrent clients exactly once', async () => {
    const unique = 9_000;
    const models = [
      // [provider, model, input, output, cached nano-USD per token]: every catalog price here is a whole number of nano-USD per token
      ['openai', 'gpt-4o-mini', 150n, 600n, 75n],
      ['openai', 'gpt-4.1-nano', 100n, 400n, 25n],
      ['anthropic', 'claude-3-5-haiku', 800n, 4_000n, 80n],
    ] as const;
    const rows = Array.from({ length: unique }, (_, i) => {
      const [provider, model] = models[i % models.length];
      return usageRecord({
        requestId: `ingest-${i}`,
        time: new Date(hour.getTime() + (i % 3_600) * 1000),
        teamId: i % 2 === 0 ? 'alpha' : 'beta',
        project: `p${i % 5}`,
        provider,
        model,
        inputTokens: BigInt(100 + (i % 997)),
        outputTokens: BigInt(10 + (i % 101)),
        cachedInputTokens: BigInt(i % 13),
      });
    });
    let expectedCost = 0n;
    rows.forEach((row, i) => {
      const [, , input, output, cached] = models[i % models.length];
      expectedCost += row.usage!.inputTokens * input + row.usage!.outputTokens * output + row.usage!.cachedInputTokens * cached;
    });
    // 1,000 resends of earlier rows, interleaved so that many are in flight at the same time as their originals
    const sends = [...rows];
    for (let d = 0; d < 1_000; d++) sends.splice(((d * 9) % sends.length) + 50, 0, rows[(d * 7) % unique]);
    expect(sends).toHaveLength(10_000);

    const senders = 4;
    const batch = 250;
    const senderClients = Array.from({ length: senders }, () => createBillingClient(server.address, { apiKey: keys.secrets.router, timeoutMs: 120_000 }));
    const statusCounts = new Map<number, number>();
    try {
      await Promise.all(
        senderClients.map(async (client, s) => {
          for (let offset = s * batch; offset < sends.length; offset += senders * batch) {
            const { results } = await client.recordUsage({ records: sends.slice(offset, offset + batch) });
            for (const r of results) statusCounts.set(r.status, (statusCounts.get(r.status) ?? 0) + 1);
          }
        }),
      );
    } finally {
      for (const client of senderClients) client.close();
    }
    expect(statusCounts.get(billing.RecordStatus.RECORDED)).toBe(unique);
    expect(statusCounts.get(billing.RecordStatus.DUPLICATE)).toBe(1_000);
    expect(statusCounts.get(billing.RecordStatus.REJECTED)).toBeUndefined();
    const { rows: sums } = await test.database.query<{ n: bigint; cost: string }>(`SELECT COUNT(*) AS n, SUM(cost_nanos)::text AS cost FROM usage_ledger WHERE request_id LIKE 'ingest-%'`);
    expect(sums[0].n).toBe(BigInt(unique));
    expect(BigInt(sums[0].cost)).toBe(expectedCost);
  });

  describe('budget administration', () => {
    const DAY = billing.BudgetPeriod.DAY;
    const names = (budgets: billing.Budget[]) => budgets.map((b) => `${b.teamId}/${b.project}`);

    beforeAll(async () => {
      await clients.admin.upsertTeam({ team: { teamId: 'delta', displayName: 'Delta' } });
      for (const project of ['', 'p1', 'p2', 'p3', 'p4']) await clients.admin.setBudget({ teamId: 'delta', project, period: DAY, limitNanosUsd: project ? 1_000n : 10_000n });
      await clients.admin.setBudget({ teamId: 'alpha', project: 'admin-listed', period: DAY, limitNanosUsd: 1_000n });
    });

    it('lists a team\'s budgets over three pages with their use', async () => {
      await clients.router.reserveBudget({ requestId: 'list-use', teamId: 'delta', project: 'p2', amountNanosUsd: 300n });
      const pages: billing.ListBudgetsResponse[] = [];
      let pageToken = '';
      for (let i = 0; i < 5 && (i === 0 || pageToken); i++) {
        pages.push(await clients.admin.listBudgets({ teamId: 'delta', pageSize: 2, pageToken }));
        pageToken = pages[pages.length - 1].nextPageToken;
      }
      expect(pages.map((p) => names(p.budgets))).toEqual([['delta/', 'delta/p1'], ['delta/p2', 'delta/p3'], ['delta/p4']]);
      expect(pages[2].nextPageToken).toBe('');
      expect(pages[1].budgets[0]).toMatchObject({ limitNanosUsd: 1_000n, spentNanosUsd: 0n, reservedNanosUsd: 300n, remainingNanosUsd: 700n, period: DAY });
      expect(pages[1].budgets[0].periodStartTime).toBeDefined();
    });

    it('scopes a team key to its own budgets and keeps the router out', async () => {
      const own = await clients.alpha.listBudgets({});
      expect(own.budgets.length).toBeGreaterThan(0);
      expect(new Set(own.budgets.map((b) => b.teamId))).toEqual(new Set(['alpha']));
      const denied = await failure(clients.alpha.listBudgets({ teamId: 'delta' }));
      expect(denied.code).toBe(status.PERMISSION_DENIED);
      expect(denied.message).toBe('a key of team alpha may not read team delta');
      expect((await failure(clients.router.listBudgets({ teamId: 'delta' }))).code).toBe(status.PERMISSION_DENIED);
      const all = names((await clients.admin.listBudgets({ pageSize: 1000 })).budgets);
      expect(all).toEqual(expect.arrayContaining(['alpha/admin-listed', 'delta/', 'delta/p4']));
    });

    it.each([
      ['a page token it did not issue', { pageToken: 'bogus' }, 'page_token'],
      ['a negative page size', { pageSize: -1 }, 'page_size'],
      ['a page size over the maximum', { pageSize: 1001 }, 'page_size'],
    ])('answers %s with INVALID_ARGUMENT naming the field', async (_name, request, field) => {
      const error = await failure(clients.admin.listBudgets({ teamId: 'delta', ...request }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details.badRequest?.fieldViolations).toEqual([expect.objectContaining({ field })]);
    });

    it('lets only admins delete a budget', async () => {
      for (const name of ['alpha', 'router']) {
        expect((await failure(clients[name].deleteBudget({ teamId: 'alpha', project: 'admin-listed' }))).code).toBe(status.PERMISSION_DENIED);
      }
      expect((await clients.admin.getBudget({ teamId: 'alpha', project: 'admin-listed' })).budget).toBeDefined();
    });

    it('deletes a budget: it reads as unset, no longer refuses holds, and a second delete is NOT_FOUND', async () => {
      await clients.router.reserveBudget({ requestId: 'del-fill', teamId: 'delta', project: 'p3', amountNanosUsd: 900n });
      expect((await failure(clients.router.reserveBudget({ requestId: 'del-over', teamId: 'delta', project: 'p3', amountNanosUsd: 200n }))).code).toBe(status.RESOURCE_EXHAUSTED);
      const { budget } = await clients.admin.deleteBudget({ teamId: 'delta', project: 'p3' });
      expect(budget).toMatchObject({ teamId: 'delta', project: 'p3', limitNanosUsd: 1_000n, reservedNanosUsd: 900n });
      expect((await clients.admin.getBudget({ teamId: 'delta', project: 'p3' })).budget).toBeUndefined();
      // Only the team budget (10,000) applies now, with del-fill's 900 still held against it.
      const { budget: team } = await clients.admin.getBudget({ teamId: 'delta' });
      if (!team) throw new Error('team delta has no budget');
      expect(team.reservedNanosUsd).toBeGreaterThanOrEqual(900n);
      const after = await clients.router.reserveBudget({ requestId: 'del-after', teamId: 'delta', project: 'p3', amountNanosUsd: 200n });
      expect(after.remainingNanosUsd).toBe(team.remainingNanosUsd - 200n);
      const again = await failure(clients.admin.deleteBudget({ teamId: 'delta', project: 'p3' }));
      expect(again.code).toBe(status.NOT_FOUND);
      expect(again.reason).toBe('BUDGET_NOT_FOUND');
      expect(again.message).toBe('budget of team:delta/project:p3 does not exist');
      expect(names((await clients.admin.listBudgets({ teamId: 'delta' })).budgets)).toEqual(['delta/', 'delta/p1', 'delta/p2', 'delta/p4']);
    });
  });
});
