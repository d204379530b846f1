import { billing } from '@switchyard/contracts';
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import type { Billing } from './billing-app';
import { createTestBilling, createTestClock } from './testing/test-databases';
import { usageRecord } from './testing/usage-records';

const D = billing.SpendDimension;
const range = { start: new Date('2026-03-10T00:00:00Z'), end: new Date('2026-03-12T00:00:00Z') };

describe.each(testBackends())('queries on %s', (backend) => {
  let test: TestDatabase;
  let app: Billing;
  const clock = createTestClock('2026-03-20T00:00:00Z');

  beforeAll(async () => {
    test = await createTestDatabase(backend);
    app = await createTestBilling(test.database, {
      now: clock.now,
      teams: [
        { teamId: 'alpha', baselineModel: 'openai/gpt-4o' },
        { teamId: 'beta', baselineModel: 'openai/gpt-4o-mini' },
      ],
    });
    await app.priceBook.upsert('test-capacity-prices', [
      { provider: 'vllm', model: 'llama', deployment: 'odd-gpu', version: 't1', inputNanosPerMtok: 0n, outputNanosPerMtok: 0n, cachedInputNanosPerMtok: 0n, capacityNanosPerHour: 1_000_000_001n, source: 'test', effectiveFrom: new Date('2026-01-01T00:00:00Z'), selfHosted: true },
      { provider: 'vllm', model: 'llama', deployment: 'tie-gpu', version: 't1', inputNanosPerMtok: 0n, outputNanosPerMtok: 0n, cachedInputNanosPerMtok: 0n, capacityNanosPerHour: 1_000_000_001n, source: 'test', effectiveFrom: new Date('2026-01-01T00:00:00Z'), selfHosted: true },
    ]);
    const qwen = { provider: 'vllm-qwen', model: 'qwen2.5-7b-instruct', deployment: 'vllm-qwen-l4' };
    const results = await app.ledger.record([
      // alpha, 2026-03-10
      usageRecord({ requestId: 'r1', time: '2026-03-10T09:00:00Z', teamId: 'alpha', project: 'search', inputTokens: 10_000n, outputTokens: 2_000n }),
      usageRecord({ requestId: 'r2', time: '2026-03-10T09:30:00Z', teamId: 'alpha', project: 'chat', provider: 'anthropic', model: 'claude-haiku-4-5', inputTokens: 4_000n, outputTokens: 1_000n, cachedInputTokens: 2_000n, usageEstimated: true }),
      usageRecord({ requestId: 'r3', time: '2026-03-10T10:15:00Z', teamId: 'alpha', project: 'search', ...qwen, inputTokens: 2_000n, outputTokens: 1_000n }),
      // beta uses the same deployment in the same hour: 1,000 tokens against alpha's 3,000
      usageRecord({ requestId: 'r5', time: '2026-03-10T10:45:00Z', teamId: 'beta', ...qwen, inputTokens: 1_000n, outputTokens: 0n }),
      // alpha, 2026-03-11
      usageRecord({ requestId: 'r4', time: '2026-03-11T08:00:00Z', teamId: 'alpha', project: 'search', model: 'gpt-4.1-nano', inputTokens: 100_000n, outputTokens: 10_000n }),
      // outside the range
      usageRecord({ requestId: 'r6', time: '2026-03-12T00:00:00Z', teamId: 'alpha', inputTokens: 1n, outputTokens: 1n }),
      // capacity remainder cases, 2026-03-11 14:00: 3:1 and 1:1 of 1,000,000,001 nano
      usageRecord({ requestId: 'odd-a', time: '2026-03-11T14:10:00Z', teamId: 'alpha', provider: 'vllm', model: 'llama', deployment: 'odd-gpu', inputTokens: 300n, outputTokens: 0n }),
      usageRecord({ requestId: 'odd-b', time: '2026-03-11T14:20:00Z', teamId: 'beta', provider: 'vllm', model: 'llama', deployment: 'odd-gpu', inputTokens: 100n, outputTokens: 0n }),
      usageRecord({ requestId: 'tie-b', time: '2026-03-11T14:10:00Z', teamId: 'beta', provider: 'vllm', model: 'llama', deployment: 'tie-gpu', inputTokens: 50n, outputTokens: 50n }),
      usageRecord({ requestId: 'tie-a', time: '2026-03-11T14:20:00Z', teamId: 'alpha', provider: 'vllm', model: 'llama', deployment: 'tie-gpu', inputTokens: 100n, outputTokens: 0n }),
    ]);
    expect(results.every((r) => r.status === billing.RecordStatus.RECORDED)).toBe(true);
  });
  afterAll(() => test?.close());

  describe('capacity attribution', () => {
    it('splits a deployment-hour 3:1 exactly by tokens', async () => {
      const { rows } = await app.queries.queryCapacityCost({ ...range, deployment: 'vllm-qwen-l4', pageSize: 0, pageToken: '' });
      // $0.85/hour: alpha 3,000 tokens, beta 1,000 → 637,500,000 and 212,500,000 nano, summing to the hour
      expect(rows).toEqual([
        { deployment: 'vllm-qwen-l4', hourStart: new Date('2026-03-10T10:00:00Z'), teamId: 'alpha', tokens: 3_000n, attributedNanos: 637_500_000n },
        { deployment: 'vllm-qwen-l4', hourStart: new Date('2026-03-10T10:00:00Z'), teamId: 'beta', tokens: 1_000n, attributedNanos: 212_500_000n },
      ]);
    });

    it('gives the leftover nano to the largest remainder, ties to the lower team id', async () => {
      const odd = await app.queries.queryCapacityCost({ ...range, deployment: 'odd-gpu', pageSize: 0, pageToken: '' });
      // 1,000,000,001 × 3/4 = 750,000,000.75 and × 1/4 = 250,000,000.25: the .75 gets the leftover nano
      expect(odd.rows.map((r) => [r.teamId, r.attributedNanos])).toEqual([['alpha', 750_000_001n], ['beta', 250_000_000n]]);
      const tie = await app.queries.queryCapacityCost({ ...range, deployment: 'tie-gpu', pageSize: 0, pageToken: '' });
      // 1:1 → 500,000,000.5 each: the tie goes to "alpha" (team id order)
      expect(tie.rows.map((r) => [r.teamId, r.attributedNanos])).toEqual([['alpha', 500_000_001n], ['beta', 500_000_000n]]);
    });

    it('pages through every deployment-hour and hides other teams from a team', async () => {
      const seen: string[] = [];
      let pageToken = '';
      do {
        const page = await app.queries.queryCapacityCost({ ...range, pageSize: 2, pageToken });
        seen.push(...page.rows.map((r) => `${r.deployment}/${r.teamId}`));
        pageToken = page.nextPageToken;
      } while (pageToken);
      expect(seen).toEqual(['odd-gpu/alpha', 'odd-gpu/beta', 'tie-gpu/alpha', 'tie-gpu/beta', 'vllm-qwen-l4/alpha', 'vllm-qwen-l4/beta']);
      const betaOnly = await app.queries.queryCapacityCost({ ...range, visibleTeamId: 'beta', pageSize: 0, pageToken: '' });
      expect(betaOnly.rows.map((r) => r.attributedNanos)).toEqual([250_000_000n, 500_000_000n, 212_500_000n]);
    });
  });

  describe('savings', () => {
    it('matches the hand-computed example', async () => {
      const result = await app.queries.querySavings({ ...range, teamId: 'alpha', pageSize: 0, pageToken: '' });
      // 2026-03-10, alpha (baseline openai/gpt-4o):
      //   r1 gpt-4o-mini 10k in, 2k out:          actual 1,500,000 + 1,200,000 = 2,700,000   baseline 25,000,000 + 20,000,000 = 45,000,000
      //   r2 claude-haiku-4-5 4k in, 1k out, 2k cached: 4,000,000 + 5,000,000 + 200,000 = 9,200,000   baseline 10,000,000 + 10,000,000 + 2,500,000 = 22,500,000
      //   r3 qwen (self-hosted) 2k in, 1k out: 0 per token + 3/4 of the $0.85 hour = 637,500,000   baseline 5,000,000 + 10,000,000 = 15,000,000
      //   actual 649,400,000, baseline 82,500,000: the lightly used GPU costs more than the API would have
      // 2026-03-11, alpha:
      //   r4 gpt-4.1-nano 100k in, 10k out: 10,000,000 + 4,000,000 = 14,000,000   baseline 250,000,000 + 100,000,000 = 350,000,000
      //   odd-gpu 300 tokens: 750,000,001 capacity; baseline 300 × $2.50/M = 750,000
      //   tie-gpu 100 tokens: 500,000,001 capacity; baseline 100 × $2.50/M = 250,000
      //   actual 1,264,000,002, baseline 351,000,000
      expect(result.rows).toEqual([
        { teamId: 'alpha', day: '2026-03-10', actualNanos: 649_400_000n, baselineNanos: 82_500_000n, savedNanos: -566_900_000n, requestCount: 3n },
        { teamId: 'alpha', day: '2026-03-11', actualNanos: 1_264_000_002n, baselineNanos: 351_000_000n, savedNanos: -913_000_002n, requestCount: 3n },
      ]);
      expect(result.total).toEqual({ teamId: 'alpha', day: '', actualNanos: 1_913_400_002n, baselineNanos: 433_500_000n, savedNanos: -1_479_900_002n, requestCount: 6n });
      expect(result.nextPageToken).toBe('');
    });

    it('shows positive savings where a cheap API model replaced the baseline', async () => {
      const result = await app.queries.querySavings({ start: new Date('2026-03-11T08:00:00Z'), end: new Date('2026-03-11T09:00:00Z'), teamId: 'alpha', pageSize: 0, pageToken: '' });
      expect(result.rows).toEqual([{ teamId: 'alpha', day: '2026-03-11', actualNanos: 14_000_000n, baselineNanos: 350_000_000n, savedNanos: 336_000_000n, requestCount: 1n }]);
    });

    it('pages by team then day with a total over all pages', async () => {
      const first = await app.queries.querySavings({ ...range, pageSize: 2, pageToken: '' });
      expect(first.rows.map((r) => `${r.teamId}/${r.day}`)).toEqual(['alpha/2026-03-10', 'alpha/2026-03-11']);
      const second = await app.queries.querySavings({ ...range, pageSize: 2, pageToken: first.nextPageToken });
      expect(second.rows.map((r) => `${r.teamId}/${r.day}`)).toEqual(['beta/2026-03-10', 'beta/2026-03-11']);
      expect(second.nextPageToken).toBe('');
      const all = [...first.rows, ...second.rows];
      expect(first.total.actualNanos).toBe(all.reduce((sum, r) => sum + r.actualNanos, 0n));
      expect(first.total.baselineNanos).toBe(all.reduce((sum, r) => sum + r.baselineNanos, 0n));
    });
  });

  describe('spend', () => {
    it('sums one total row without grouping', async () => {
      const { rows } = await app.queries.querySpend({ ...range, groupBy: [], pageSize: 0, pageToken: '' });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ group: {}, requestCount: 9n, costNanos: 2_700_000n + 9_200_000n + 14_000_000n, estimatedCostNanos: 9_200_000n });
    });

    it('sums the spend whose usage was estimated apart, per group', async () => {
      const { rows } = await app.queries.querySpend({ ...range, teamId: 'alpha', groupBy: [D.PROJECT], pageSize: 0, pageToken: '' });
      // r2 (project chat) is the only row whose usage the adapter estimated
      expect(rows.map((r) => [r.group.project, r.costNanos, r.estimatedCostNanos])).toEqual([
        ['', 0n, 0n],
        ['chat', 9_200_000n, 9_200_000n],
        ['search', 16_700_000n, 0n],
      ]);
    });

    it('groups by team, project, model, provider and day', async () => {
      const { rows } = await app.queries.querySpend({ ...range, teamId: 'alpha', groupBy: [D.PROJECT, D.DAY], pageSize: 0, pageToken: '' });
      expect(rows.map((r) => [r.group, r.requestCount, r.costNanos])).toEqual([
        [{ project: '', day: '2026-03-11' }, 2n, 0n],
        [{ project: 'chat', day: '2026-03-10' }, 1n, 9_200_000n],
        [{ project: 'search', day: '2026-03-10' }, 2n, 2_700_000n],
        [{ project: 'search', day: '2026-03-11' }, 1n, 14_000_000n],
      ]);
      const byProvider = await app.queries.querySpend({ ...range, groupBy: [D.PROVIDER, D.MODEL, D.TEAM], pageSize: 0, pageToken: '' });
      expect(byProvider.rows.find((r) => r.group.model === 'claude-haiku-4-5')).toMatchObject({
        group: { provider: 'anthropic', model: 'claude-haiku-4-5', team: 'alpha' },
        inputTokens: 4_000n,
        outputTokens: 1_000n,
        cachedInputTokens: 2_000n,
        baselineCostNanos: 22_500_000n,
      });
    });

    it('paginates with tokens bound to the query', async () => {
      const seen: string[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const page = await app.queries.querySpend({ ...range, groupBy: [D.MODEL], pageSize: 2, pageToken });
        seen.push(...page.rows.map((r) => r.group.model));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken && pages < 10);
      expect(seen).toEqual(['claude-haiku-4-5', 'gpt-4.1-nano', 'gpt-4o-mini', 'llama', 'qwen2.5-7b-instruct']);
      const first = await app.queries.querySpend({ ...range, groupBy: [D.MODEL], pageSize: 2, pageToken: '' });
      await expect(app.queries.querySpend({ ...range, groupBy: [D.TEAM], pageSize: 2, pageToken: first.nextPageToken })).rejects.toThrow(/page_token: belongs to a query with a different filter/);
      await expect(app.queries.querySpend({ ...range, groupBy: [D.MODEL], pageSize: 2, pageToken: 'garbage' })).rejects.toThrow(/page_token/);
    });

    it.each([
      ['an unspecified dimension', { groupBy: [D.UNSPECIFIED] }, 'group_by[0]: must be TEAM'],
      ['a repeated dimension', { groupBy: [D.TEAM, D.TEAM] }, 'group_by[1]: repeats team'],
      ['a reversed range', { start: range.end, end: range.start, groupBy: [] }, 'end_time: must be after start_time'],
      ['a huge page', { pageSize: 5000, groupBy: [] }, 'page_size: must be at most 1000'],
    ])('rejects %s', async (_name, override, message) => {
      await expect(app.queries.querySpend({ ...range, pageSize: 0, pageToken: '', ...override } as Parameters<typeof app.queries.querySpend>[0])).rejects.toThrow(message);
    });
  });
});
