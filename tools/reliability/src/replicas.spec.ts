// Replicas: two routers and two billing processes over one PostgreSQL. 200 concurrent requests
// against a budget that fits exactly 100 of their holds: exactly 100 are served, the other 100 get
// RESOURCE_EXHAUSTED, and the team's spend never passes its limit (overshoot 0).
import { billing } from '@switchyard/contracts';
import { chatMessage, createBillingClient, createRouterClient, SwitchyardError, type RouterServiceClient } from '@switchyard/sdk';
import { startReliabilityStack, type ReliabilityStack } from './harness/reliability-stack';
import { reportScenario } from './harness/scenario-report';
import { KNOWN_GAPS, reportGap } from './known-gaps';

const PROMPT = 'Summarise the benefits of unit tests in one sentence.';
const MAX_OUTPUT_TOKENS = 64;

describe('replicas: 2 routers + 2 billing over one PostgreSQL', () => {
  let stack: ReliabilityStack;
  const routers: RouterServiceClient[] = [];

  beforeAll(async () => {
    stack = await startReliabilityStack({
      label: 'replicas',
      teams: ['race', 'spread', 'restricted'],
      routers: 2,
      billings: 2,
      adapters: ['openai', 'anthropic'],
      // A hold that times out under load must not turn into an unchecked request: this team's limit is hard.
      routerConfig: { budget: { failureMode: 'failClosed' }, billing: { reserveTimeoutMs: 10_000 } },
    });
    for (const router of stack.routers) routers.push(createRouterClient(router.address, { apiKey: stack.keys.race }));
  });

  afterAll(async () => {
    for (const r of routers) r.close();
    await stack?.close();
  });

  it('both routers share the load and every request reaches the ledger once', async () => {
    const clients = stack.routers.map((r) => createRouterClient(r.address, { apiKey: stack.keys.spread }));
    try {
      const ids = Array.from({ length: 100 }, (_, i) => `spread-${i}`);
      const results = await Promise.all(
        ids.map((requestId, i) => clients[i % 2]!.generate({ messages: [chatMessage('user', PROMPT)], context: { requestId } }, { timeoutMs: 30_000 })),
      );
      expect(results).toHaveLength(100);
      await stack.ledger.waitFor('spread', (rows) => rows.length >= 100, 30_000);
      const reconciliation = await stack.ledger.reconcile(ids, 'spread');
      expect(reconciliation.once).toHaveLength(100);
      reportScenario('replicas/spread', { requests: 100, served: results.length, ledgerRows: reconciliation.once.length, duplicates: reconciliation.duplicated.length });
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('200 concurrent requests against a budget that fits 100 holds: exactly 100 served, overshoot 0', async () => {
    // The hold the router takes per request (price × (estimated input + max output tokens)).
    const explained = await routers[0]!.explainRoute({ messages: [chatMessage('user', PROMPT)], params: { maxOutputTokens: MAX_OUTPUT_TOKENS } });
    const hold = explained.estimatedMaxCostNanosUsd;
    expect(hold).toBeGreaterThan(0n);
    const limit = 100n * hold;
    const admin = createBillingClient(stack.billings[0]!.address, { apiKey: stack.keys.admin });
    try {
      await admin.setBudget({ teamId: 'race', period: billing.BudgetPeriod.DAY, limitNanosUsd: limit });
    } finally {
      admin.close();
    }

    // Answers take 3 s, so all 200 holds are decided while every request is in flight (a usage row
    // arriving earlier would give back hold − cost and, correctly, let one more request in).
    stack.upstreams.openai.setTiming({ latencyMs: 3000 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        routers[i % 2]!.generate(
          { messages: [chatMessage('user', PROMPT)], params: { maxOutputTokens: MAX_OUTPUT_TOKENS }, context: { requestId: `race-${i}` } },
          { timeoutMs: 60_000 },
        ),
      ),
    );
    stack.upstreams.openai.setTiming({ latencyMs: 0 });
    const served = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ id: `race-${i}`, cost: o.value.cost?.nanosUsd ?? 0n, router: i % 2 }] : []));
    const refused = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ id: `race-${i}`, error: o.reason as SwitchyardError }] : []));
    const codes: Record<string, number> = {};
    for (const r of refused) codes[`${r.error.codeName}:${r.error.reason}`] = (codes[`${r.error.codeName}:${r.error.reason}`] ?? 0) + 1;

    expect(codes).toEqual({ 'RESOURCE_EXHAUSTED:BUDGET_EXHAUSTED': 100 });
    expect(served).toHaveLength(100);
    // Both routers (each with its own billing replica) granted some of the 100.
    expect(new Set(served.map((s) => s.router)).size).toBe(2);
    for (const r of refused) expect(r.error.details.quotaFailure?.violations[0]?.subject).toBe('team:race');

    const rows = await stack.ledger.waitFor('race', (r) => r.length >= 100, 30_000);
    const reconciliation = await stack.ledger.reconcile(
      outcomes.map((_, i) => `race-${i}`),
      'race',
    );
    expect(reconciliation.once.sort()).toEqual(served.map((s) => s.id).sort());
    expect(reconciliation.duplicated).toEqual([]);
    const spent = rows.reduce((sum, r) => sum + r.costNanos, 0n);
    expect(spent).toBe(served.reduce((sum, s) => sum + s.cost, 0n));
    // Every usage row closed its hold: nothing stays reserved, and spend is what the ledger says.
    const deadline = Date.now() + 15_000;
    let counters = await stack.ledger.budget('race');
    while (counters && counters.reservedNanos !== 0n && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      counters = await stack.ledger.budget('race');
    }
    expect(counters).toEqual({ limitNanos: limit, spentNanos: spent, reservedNanos: 0n });
    const overshoot = spent > limit ? spent - limit : 0n;
    expect(overshoot).toBe(0n);
    reportScenario('replicas/budget-race', {
      routers: 2,
      billingReplicas: 2,
      concurrentRequests: 200,
      holdNanos: Number(hold),
      limitNanos: Number(limit),
      served: served.length,
      refusedBudgetExhausted: codes['RESOURCE_EXHAUSTED:BUDGET_EXHAUSTED'] ?? 0,
      ledgerRows: reconciliation.once.length,
      spentNanos: Number(spent),
      overshootNanos: Number(overshoot),
    });
  });

  it('a hold is only as good as its estimate: a prompt that tokenizes worse than 4 characters a token (known gap while open)', async () => {
    // Team `restricted` may use one model only, so its hold is priced on that model (no dearer fallback to cover).
    const client = createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys.restricted });
    const admin = createBillingClient(stack.billings[0]!.address, { apiKey: stack.keys.admin });
    try {
      const prompt = '请用三句话解释数据库索引的工作原理，以及它们为什么能让查询更快。'.repeat(30);
      const request = { messages: [chatMessage('user', prompt)], params: { maxOutputTokens: 16 } };
      const hold = (await client.explainRoute(request)).estimatedMaxCostNanosUsd;
      await admin.setBudget({ teamId: 'restricted', period: billing.BudgetPeriod.DAY, limitNanosUsd: 10n * hold });
      stack.upstreams.openai.setTiming({ latencyMs: 2000 });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => client.generate({ ...request, context: { requestId: `estimate-${i}` } }, { timeoutMs: 60_000 })),
      );
      stack.upstreams.openai.setTiming({ latencyMs: 0 });
      const served = outcomes.filter((o) => o.status === 'fulfilled');
      expect(served).toHaveLength(10);
      const rows = await stack.ledger.waitFor('restricted', (r) => r.length >= 10, 30_000);
      const spent = rows.reduce((sum, r) => sum + r.costNanos, 0n);
      const limit = 10n * hold;
      const overshoot = spent > limit ? spent - limit : 0n;
      const perRequest = rows[0]!.costNanos;
      if (KNOWN_GAPS.holdUnderestimatesNonLatinPrompts.open) {
        // The gap, measured: each request cost more than the hold taken for it.
        expect(perRequest).toBeGreaterThan(hold);
        expect(overshoot).toBeGreaterThan(0n);
        reportGap('holdUnderestimatesNonLatinPrompts', `hold ${hold} nano-USD, real cost ${perRequest}; 10 holds fit the limit ${limit}, spent ${spent}, overshoot ${overshoot}`);
      } else {
        expect(overshoot).toBe(0n);
      }
      reportScenario('replicas/estimate-vs-cost', { holdNanos: Number(hold), realCostNanos: Number(perRequest), served: served.length, limitNanos: Number(limit), spentNanos: Number(spent), overshootNanos: Number(overshoot) });
    } finally {
      client.close();
      admin.close();
    }
  });
});
