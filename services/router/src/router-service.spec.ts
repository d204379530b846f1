import { status } from '@grpc/grpc-js';
import { billing, common, type router } from '@switchyard/contracts';
import { chatMessage, createApiKeyClient, createRouterClient, messageText, SwitchyardError } from '@switchyard/sdk';
import { computeCost, defaultPriceCatalog } from '@switchyard/pricing';
import { countTokens } from '@switchyard/testing';
import type { AttemptSummary } from './router-service';
import { startRouterFixture, type RouterFixture } from './testing/router-fixture';

const EASY = 'hi, how are you?';
const HARD = 'Prove that there are infinitely many primes and then derive the asymptotic density using the prime number theorem, with a rigorous epsilon-delta argument.';
const SENSITIVE = 'How many pills of acetaminophen would be a lethal overdose?';

const ask = (text: string, extra: Record<string, unknown> = {}) => ({ messages: [chatMessage('user', text)], ...extra });
const failure = async (promise: Promise<unknown>): Promise<SwitchyardError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SwitchyardError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const chosen = (route: common.RouteDecision | undefined) => `${route?.chosen?.model}@${route?.chosen?.deployment}`;

describe('router over real gRPC with fake adapters and billing', () => {
  let f: RouterFixture;
  // What the router told its telemetry hooks.
  const attemptsSeen: AttemptSummary[] = [];
  const circuitChanges: Array<{ deployment: string; state: string; models: string[] }> = [];
  beforeAll(async () => {
    f = await startRouterFixture({
      startOptions: {
        hooks: {
          onAttemptFinished: (attempt) => attemptsSeen.push(attempt),
          onCircuitChange: (deployment, state, models) => circuitChanges.push({ deployment, state, models: models.map((m) => `${m.provider}/${m.model}`) }),
        },
      },
    });
  });
  afterAll(async () => {
    await f.close();
  });
  beforeEach(() => {
    for (const p of [f.cheapA, f.cheapB, f.strong]) {
      p.script.failures = [];
      p.script.delayMs = 0;
      p.script.holdFinal = undefined;
      p.script.breakAfterDeltas = undefined;
      p.script.cacheWriteInputTokens = undefined;
      p.script.stopSequence = undefined;
      p.script.usageEstimated = undefined;
    }
  });

  describe('routing by policy', () => {
    it('sends an easy prompt to the cheap model', async () => {
      const response = await f.client.generate(ask(EASY));
      expect(chosen(response.route)).toBe('gpt-4.1-nano@cheap-a');
      expect(response.route?.rule).toBe('cheapest_meeting_quality');
      expect(messageText(response.message)).toContain('[gpt-4.1-nano]');
      expect(response.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.traceId).toMatch(/^[0-9a-f]{32}$/);
    });

    it('reports one trace id and propagates it to the adapter (or continues the caller\'s trace)', async () => {
      const own = await f.client.generate(ask(EASY, { context: { requestId: 'trace-1' } }));
      expect(f.cheapA.calls.find((c) => c.requestId === 'trace-1')?.traceparent).toContain(`-${own.traceId}-`);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const continued = await f.client.generate(ask(EASY, { context: { requestId: 'trace-2' } }), { metadata: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      expect(continued.traceId).toBe(traceId);
      expect(f.cheapA.calls.find((c) => c.requestId === 'trace-2')?.traceparent).toBe(`00-${traceId}-00f067aa0ba902b7-01`);
    });

    it('sends a hard prompt to the strong model', async () => {
      const response = await f.client.generate(ask(HARD));
      expect(chosen(response.route)).toBe('claude-sonnet-4-5@strong-a');
      expect(response.route?.rule).toBe('cheapest_meeting_quality');
      expect(response.route?.classification?.difficulty).toBeGreaterThan(0.4);
    });

    it('sends a safety-sensitive prompt to the safety model', async () => {
      const response = await f.client.generate(ask(SENSITIVE));
      expect(chosen(response.route)).toBe('claude-sonnet-4-5@strong-a');
      expect(response.route?.rule).toBe('safety_override');
      expect(response.route?.classification?.safetySensitive).toBe(true);
    });

    it('explains the route without calling a model, holding budget or billing', async () => {
      const callsBefore = f.cheapA.calls.length + f.cheapB.calls.length + f.strong.calls.length;
      const holdsBefore = f.billing.state.calls.reserveBudget;
      const easy = await f.client.explainRoute(ask(EASY));
      const hard = await f.client.explainRoute(ask(HARD));
      expect(f.cheapA.calls.length + f.cheapB.calls.length + f.strong.calls.length).toBe(callsBefore);
      expect(f.billing.state.calls.reserveBudget).toBe(holdsBefore);
      expect(chosen(easy.route)).toBe('gpt-4.1-nano@cheap-a');
      expect(chosen(hard.route)).toBe('claude-sonnet-4-5@strong-a');
      expect(hard.route?.reason).toMatch(/claude-sonnet-4-5 is the cheapest model with expected quality 0\.\d\d >= 0\.80 for \w+ \(difficulty 0\.\d\d\)/);
      const nano = hard.route!.candidates.find((c) => c.model?.model === 'gpt-4.1-nano')!;
      const sonnet = hard.route!.candidates.find((c) => c.model?.model === 'claude-sonnet-4-5')!;
      expect(nano.expectedQuality).toBeLessThan(0.8);
      expect(sonnet.expectedQuality).toBeGreaterThanOrEqual(0.8);
      expect(sonnet.expectedCostNanosUsd).toBeGreaterThan(nano.expectedCostNanosUsd);
      expect(nano.qualitySource).toBe('prior');
      expect(hard.route?.attempts).toHaveLength(0);
      expect(hard.estimatedMaxCostNanosUsd).toBeGreaterThan(0n);
      expect(hard.estimatedInputTokens).toBeGreaterThan(0n);
    });

    it('honours a pinned model and an alias, and refuses unknown models', async () => {
      const pinned = await f.client.generate(ask(EASY, { model: 'claude-sonnet-4-5' }));
      expect(pinned.route?.rule).toBe('pinned');
      expect(chosen(pinned.route)).toBe('claude-sonnet-4-5@strong-a');
      const alias = await f.client.explainRoute(ask(EASY, { model: 'switchyard/best' }));
      expect(alias.route?.rule).toBe('alias');
      const unknown = await failure(f.client.generate(ask(EASY, { model: 'gpt-9' })));
      expect(unknown.codeName).toBe('INVALID_ARGUMENT');
      expect(unknown.details.badRequest?.fieldViolations[0]?.field).toBe('model');
    });
  });

  describe('fallback and circuit breaking', () => {
    it('falls back to the next candidate when an adapter answers 503 before the first token', async () => {
      f.cheapA.script.failures = [{ code: status.UNAVAILABLE, message: 'upstream 503', times: 1 }];
      const response = await f.client.generate(ask(EASY, { context: { requestId: 'fallback-1' } }));
      expect(chosen(response.route)).toBe('gpt-4.1-nano@cheap-b');
      expect(attemptsSeen.filter((a) => a.requestId === 'fallback-1')).toEqual([
        expect.objectContaining({ attempt: 1, statusCode: 'UNAVAILABLE', model: { provider: 'openai', model: 'gpt-4.1-nano', deployment: 'cheap-a' } }),
        expect.objectContaining({
          attempt: 2,
          statusCode: 'OK',
          fallbackFrom: { provider: 'openai', model: 'gpt-4.1-nano', deployment: 'cheap-a' },
          fallbackReason: 'UNAVAILABLE',
        }),
      ]);
      expect(attemptsSeen.find((a) => a.requestId === 'fallback-1' && a.attempt === 1)?.fallbackFrom).toBeUndefined();
      expect(response.route?.fallbacks).toBe(1);
      expect(response.route?.attempts.map((a) => `${a.model?.deployment}:${a.statusCode}`)).toEqual(['cheap-a:UNAVAILABLE', 'cheap-b:OK']);
      expect(response.route?.attempts[0]?.errorMessage).toContain('upstream 503');
    });

    it('opens the circuit of a deployment that keeps failing, skips it, then probes and restores it', async () => {
      f.cheapA.script.failures = [{ code: status.UNAVAILABLE, times: 1000 }];
      for (let i = 0; i < 3; i++) {
        const response = await f.client.generate(ask(EASY));
        expect(chosen(response.route)).toBe('gpt-4.1-nano@cheap-b');
      }
      const explained = await f.client.explainRoute(ask(EASY));
      const cheapA = explained.route!.candidates.find((c) => c.model?.deployment === 'cheap-a')!;
      expect(cheapA).toMatchObject({ eligible: false, exclusionReason: 'circuit open' });
      const callsWhileOpen = f.cheapA.calls.length;
      const skipped = await f.client.generate(ask(EASY));
      expect(skipped.route?.attempts.map((a) => a.model?.deployment)).toEqual(['cheap-b']);
      expect(f.cheapA.calls.length).toBe(callsWhileOpen);

      f.cheapA.script.failures = [];
      await sleep(350);
      const probed = await f.client.generate(ask(EASY));
      expect(f.cheapA.calls.length).toBe(callsWhileOpen + 1);
      expect(chosen(probed.route)).toBe('gpt-4.1-nano@cheap-a');
      const restored = await f.client.explainRoute(ask(EASY));
      expect(restored.route!.candidates.find((c) => c.model?.deployment === 'cheap-a')).toMatchObject({ eligible: true });
      expect(circuitChanges.filter((c) => c.deployment === 'cheap-a')).toEqual([
        { deployment: 'cheap-a', state: 'open', models: ['openai/gpt-4.1-nano'] },
        { deployment: 'cheap-a', state: 'half_open', models: ['openai/gpt-4.1-nano'] },
        { deployment: 'cheap-a', state: 'closed', models: ['openai/gpt-4.1-nano'] },
      ]);
    });

    it('returns UNAVAILABLE and releases the hold when every candidate fails', async () => {
      for (const p of [f.cheapA, f.cheapB, f.strong]) p.script.failures = [{ code: status.UNAVAILABLE, times: 1 }];
      // A caller-chosen request id: the request takes its own hold (no lease; budget-lease.spec.ts covers those).
      const error = await failure(f.client.generate(ask(EASY, { context: { requestId: 'all-failed-1' } })));
      expect(error.codeName).toBe('UNAVAILABLE');
      expect(error.reason).toBe('ALL_CANDIDATES_FAILED');
      const hold = () => [...f.billing.state.holds.values()].find((h) => h.requestId === 'all-failed-1');
      for (let i = 0; i < 50 && hold()?.state === 'held'; i++) await sleep(10);
      expect(hold()?.state).toBe('settled');
    });

    it('passes an upstream INVALID_ARGUMENT to the caller without falling back', async () => {
      f.cheapA.script.failures = [{ code: status.INVALID_ARGUMENT, message: 'messages[0]: bad', times: 1 }];
      const callsB = f.cheapB.calls.length;
      const error = await failure(f.client.generate(ask(EASY)));
      expect(error.codeName).toBe('INVALID_ARGUMENT');
      expect(error.reason).toBe('UPSTREAM_REJECTED_REQUEST');
      expect(f.cheapB.calls.length).toBe(callsB);
    });

    it('answers RESOURCE_EXHAUSTED with RetryInfo when every candidate is rate limited', async () => {
      for (const p of [f.cheapA, f.cheapB, f.strong]) p.script.failures = [{ code: status.RESOURCE_EXHAUSTED, times: 1, retryDelayMs: 1500 }];
      const error = await failure(f.client.generate(ask(EASY)));
      expect(error.codeName).toBe('RESOURCE_EXHAUSTED');
      expect(error.reason).toBe('UPSTREAM_RATE_LIMITED');
      expect(error.retryDelayMs).toBe(1500);
    });
  });

  describe('deadlines', () => {
    it("propagates the caller's 300 ms deadline: the adapter sees less than 300 ms", async () => {
      await f.client.generate(ask(EASY, { context: { requestId: 'deadline-1' } }), { timeoutMs: 300 });
      const call = f.cheapA.calls.find((c) => c.requestId === 'deadline-1')!;
      expect(call.remainingMs).toBeGreaterThan(0);
      expect(call.remainingMs).toBeLessThan(300);
    });

    it('fails with DEADLINE_EXCEEDED when the adapter is slower than the deadline, and records no usage', async () => {
      f.cheapA.script.delayMs = 2000;
      const error = await failure(f.client.generate(ask(EASY, { context: { requestId: 'deadline-2' } }), { timeoutMs: 300 }));
      expect(error.codeName).toBe('DEADLINE_EXCEEDED');
      await f.router.shipper.drain(2000);
      expect(f.billing.state.ledger.has('deadline-2')).toBe(false);
    });
  });

  describe('budget', () => {
    it('refuses a team whose budget is spent with RESOURCE_EXHAUSTED and QuotaFailure, and records no usage', async () => {
      const broke = f.clientFor(f.secrets.broke);
      const calls = f.cheapA.calls.length + f.cheapB.calls.length + f.strong.calls.length;
      const error = await failure(broke.generate(ask(EASY, { context: { requestId: 'broke-1' } })));
      expect(error.codeName).toBe('RESOURCE_EXHAUSTED');
      expect(error.reason).toBe('BUDGET_EXHAUSTED');
      expect(error.details.quotaFailure?.violations[0]?.subject).toBe('team:broke');
      expect(f.cheapA.calls.length + f.cheapB.calls.length + f.strong.calls.length).toBe(calls);
      await f.router.shipper.drain(2000);
      expect([...f.billing.state.ledger.values()].filter((row) => row.record.teamId === 'broke')).toHaveLength(0);
    });

    it.each([
      ['Chinese', '请用三句话解释数据库索引的工作原理，以及它们为什么能让查询更快。'.repeat(30)],
      ['emoji', '😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗☺️😚😙🥲😋😛😜🤪😝🤑🤗🤭👨‍👩‍👧‍👦🏳️‍🌈🧑🏽‍💻'.repeat(10)],
    ])('holds at least what the %s prompt can cost on any model it may be served by (prompt tokens counted with cl100k)', async (_name, prompt) => {
      const requestId = `hold-${_name}`;
      await f.client.generate(ask(prompt, { params: { maxOutputTokens: 16 }, context: { requestId } }));
      const hold = [...f.billing.state.holds.values()].find((h) => h.requestId === requestId)!;
      // What an OpenAI-style upstream bills for it: 3 + (3 + role + text) per message, in cl100k tokens.
      const inputTokens = BigInt(3 + 3 + countTokens('user') + countTokens(prompt));
      const explained = await f.client.explainRoute(ask(prompt, { params: { maxOutputTokens: 16 } }));
      const mayServe = explained.route!.candidates.filter((c) => c.eligible);
      expect(mayServe.length).toBeGreaterThan(0);
      for (const candidate of mayServe) {
        const price = defaultPriceCatalog().priceAt({ provider: candidate.model!.provider, model: candidate.model!.model }, new Date())!;
        const cost = computeCost({ inputTokens, outputTokens: 16n, cachedInputTokens: 0n }, price);
        expect(hold.amount).toBeGreaterThanOrEqual(cost);
        expect(explained.estimatedMaxCostNanosUsd).toBeGreaterThanOrEqual(cost);
      }
    });

    it('records the exact cost billing records, settling the hold with the usage row', async () => {
      const response = await f.client.generate(ask(HARD, { context: { requestId: 'cost-1', project: 'search', featureTags: ['feature:proofs'] } }));
      expect(await f.router.shipper.drain(5000)).toBe(true);
      const row = f.billing.state.ledger.get('cost-1')!;
      expect(row.cost.nanosUsd).toBe(response.cost!.nanosUsd);
      expect(row.cost.baselineNanosUsd).toBe(response.cost!.baselineNanosUsd);
      expect(row.cost.priceVersion).toBe(response.cost!.priceVersion);
      expect(response.cost!.nanosUsd).toBeGreaterThan(0n);
      expect(row.record).toMatchObject({ teamId: 'acme', project: 'search', featureTags: ['feature:proofs'], routeRule: 'cheapest_meeting_quality', outcome: billing.UsageOutcome.SUCCESS });
      expect(row.record.reservationId).toMatch(/^rsv_/);
      expect(f.billing.state.holds.get(row.record.reservationId)?.state).toBe('recorded');
    });

    it('passes on the stop sequence that ended the output, unary and streamed', async () => {
      for (const p of [f.cheapA, f.cheapB, f.strong]) p.script.stopSequence = 'END';
      const response = await f.client.generate(ask(EASY));
      expect(response).toMatchObject({ finishReason: common.FinishReason.STOP, stopSequence: 'END' });
      let final: router.StreamFinal | undefined;
      for await (const event of f.client.streamGenerate(ask(EASY))) if (event.event.case === 'final') final = event.event.value;
      expect(final).toMatchObject({ finishReason: common.FinishReason.STOP, stopSequence: 'END' });
      for (const p of [f.cheapA, f.cheapB, f.strong]) p.script.stopSequence = undefined;
      expect((await f.client.generate(ask(EASY))).stopSequence).toBe('');
    });

    it('prices prompt-cache writes and sends them to billing with the usage', async () => {
      for (const p of [f.cheapA, f.cheapB, f.strong]) p.script.cacheWriteInputTokens = 5000;
      const response = await f.client.generate(ask(EASY, { context: { requestId: 'cache-write-1' } }));
      const usage = response.usage!;
      expect(usage.cacheWriteInputTokens).toBe(5000n);
      const chosenModel = response.route!.chosen!;
      const price = defaultPriceCatalog().priceAt({ provider: chosenModel.provider, model: chosenModel.model }, new Date())!;
      expect(response.cost!.nanosUsd).toBe(computeCost(usage, price));
      expect(response.cost!.nanosUsd).toBeGreaterThan(computeCost({ ...usage, cacheWriteInputTokens: 0n }, price));
      expect(await f.router.shipper.drain(5000)).toBe(true);
      const row = f.billing.state.ledger.get('cache-write-1')!;
      expect(row.record.usage?.cacheWriteInputTokens).toBe(5000n);
      expect(row.cost.nanosUsd).toBe(response.cost!.nanosUsd);
    });
  });

  describe('estimated usage', () => {
    it('passes an adapter\'s estimated usage to the caller and to billing', async () => {
      for (const p of [f.cheapA, f.cheapB, f.strong]) p.script.usageEstimated = true;
      const response = await f.client.generate(ask(EASY, { context: { requestId: 'estimated-1' } }));
      expect(response.usage?.estimated).toBe(true);
      expect(await f.router.shipper.drain(5000)).toBe(true);
      expect(f.billing.state.ledger.get('estimated-1')?.record.usage?.estimated).toBe(true);
    });

    it('turns a stream final\'s usage_estimated into usage.estimated for the caller and billing', async () => {
      for (const p of [f.cheapA, f.cheapB, f.strong]) p.script.usageEstimated = true;
      let usage: common.TokenUsage | undefined;
      for await (const event of f.client.streamGenerate(ask(HARD, { context: { requestId: 'estimated-stream-1' } }))) {
        if (event.event.case === 'final') usage = event.event.value.usage;
      }
      expect(usage).toMatchObject({ outputTokens: 12n, estimated: true });
      expect(await f.router.shipper.drain(5000)).toBe(true);
      expect(f.billing.state.ledger.get('estimated-stream-1')?.record.usage?.estimated).toBe(true);
    });

    it('leaves reported usage unmarked', async () => {
      const response = await f.client.generate(ask(EASY, { context: { requestId: 'exact-1' } }));
      expect(response.usage?.estimated).toBe(false);
      expect(await f.router.shipper.drain(5000)).toBe(true);
      expect(f.billing.state.ledger.get('exact-1')?.record.usage?.estimated).toBe(false);
    });
  });

  describe('streaming', () => {
    it('relays deltas before the upstream finishes; the final carries usage and the cost billing records', async () => {
      let release!: () => void;
      f.strong.script.holdFinal = new Promise<void>((resolve) => (release = resolve));
      const events: string[] = [];
      let finalEvent: { usage?: common.TokenUsage; cost?: common.Cost; route?: common.RouteDecision; requestId: string } | undefined;
      for await (const event of f.client.streamGenerate(ask(HARD, { context: { requestId: 'stream-1' } }))) {
        if (event.event.case === 'delta') {
          events.push(event.event.value.text);
          // The upstream is still holding its final message: deltas arrived before it finished.
          if (events.length === 3) {
            expect(f.strong.calls.at(-1)?.outcome).toBeUndefined();
            release();
          }
        } else if (event.event.case === 'final') {
          finalEvent = event.event.value;
        }
      }
      expect(events.join('')).toContain('streamed answer');
      expect(finalEvent?.route?.chosen?.model).toBe('claude-sonnet-4-5');
      expect(finalEvent?.usage?.outputTokens).toBe(12n);
      expect(await f.router.shipper.drain(5000)).toBe(true);
      expect(f.billing.state.ledger.get('stream-1')?.cost.nanosUsd).toBe(finalEvent?.cost?.nanosUsd);
    });

    it('announces the route, rule, trace id and request id as response headers before the first delta', async () => {
      const announced: Record<string, string> = {};
      let deltasBeforeHeaders = 0;
      let final: { route?: common.RouteDecision; requestId: string } | undefined;
      const events = f.client.streamGenerate(ask(HARD, { context: { requestId: 'announced-1' } }), {
        onHeader: (metadata) => {
          for (const key of ['x-switchyard-route', 'x-switchyard-route-rule', 'x-switchyard-trace-id', 'x-switchyard-request-id']) {
            const value = metadata.get(key)[0];
            if (value !== undefined) announced[key] = String(value);
          }
        },
      });
      for await (const event of events) {
        if (event.event.case === 'delta' && Object.keys(announced).length === 0) deltasBeforeHeaders++;
        if (event.event.case === 'final') final = event.event.value;
      }
      expect(deltasBeforeHeaders).toBe(0);
      expect(announced['x-switchyard-route']).toBe(`${final?.route?.chosen?.provider}/${final?.route?.chosen?.model}`);
      expect(announced['x-switchyard-route-rule']).toBe(final?.route?.rule);
      expect(announced['x-switchyard-request-id']).toBe('announced-1');
      expect(announced['x-switchyard-trace-id']).toMatch(/^[0-9a-f]{32}$/);
    });

    it('falls back before the first token, but not after it', async () => {
      f.cheapA.script.failures = [{ code: status.UNAVAILABLE, times: 1 }];
      let route: common.RouteDecision | undefined;
      for await (const event of f.client.streamGenerate(ask(EASY))) if (event.event.case === 'final') route = event.event.value.route;
      expect(route?.attempts.map((a) => `${a.model?.deployment}:${a.statusCode}`)).toEqual(['cheap-a:UNAVAILABLE', 'cheap-b:OK']);

      f.cheapA.script.breakAfterDeltas = 2;
      const callsB = f.cheapB.calls.length;
      const deltas: string[] = [];
      const error = await failure(
        (async () => {
          for await (const event of f.client.streamGenerate(ask(EASY, { context: { requestId: 'broken-1' } }))) if (event.event.case === 'delta') deltas.push(event.event.value.text);
        })(),
      );
      expect(deltas).toHaveLength(2);
      expect(error.codeName).toBe('UNAVAILABLE');
      expect(error.reason).toBe('STREAM_BROKEN');
      expect(error.details.partialUsage?.usage?.outputTokens).toBe(2n);
      expect(error.details.partialUsage?.usage?.estimated).toBe(true);
      expect(f.cheapB.calls.length).toBe(callsB);
      await f.router.shipper.drain(2000);
      expect(f.billing.state.ledger.get('broken-1')?.record.outcome).toBe(billing.UsageOutcome.PARTIAL);
    });
    it('bills what was consumed when the caller cancels mid-stream', async () => {
      let release!: () => void;
      f.strong.script.holdFinal = new Promise<void>((resolve) => (release = resolve));
      const controller = new AbortController();
      const error = await failure(
        (async () => {
          for await (const event of f.client.streamGenerate(ask(HARD, { context: { requestId: 'cancelled-1' } }), { signal: controller.signal })) {
            if (event.event.case === 'delta') controller.abort();
          }
        })(),
      );
      release();
      expect(error.codeName).toBe('CANCELLED');
      for (let i = 0; i < 100 && !f.billing.state.ledger.has('cancelled-1'); i++) await sleep(20);
      const row = f.billing.state.ledger.get('cancelled-1');
      expect(row?.record.outcome).toBe(billing.UsageOutcome.CANCELLED);
      expect(row?.record.usage?.inputTokens).toBeGreaterThan(0n);
    });
    it('cancels the adapter call when the caller cancels a Generate while it waits', async () => {
      f.cheapA.script.delayMs = 10_000;
      const controller = new AbortController();
      const pending = failure(f.client.generate(ask(EASY, { context: { requestId: 'cancelled-unary-1' } }), { signal: controller.signal }));
      const adapterCall = async () => {
        for (let i = 0; i < 200; i++) {
          const call = f.cheapA.calls.find((c) => c.requestId === 'cancelled-unary-1');
          if (call) return call;
          await sleep(10);
        }
        throw new Error('the adapter never got the call');
      };
      const call = await adapterCall();
      controller.abort();
      expect((await pending).codeName).toBe('CANCELLED');
      // The attempt's own deadline (the fixture's 2 s first-byte timeout) would end it too, but only later.
      for (let i = 0; i < 100 && call.outcome === undefined; i++) await sleep(10);
      expect(call.outcome).toBe('CANCELLED');
    });
  });

  describe('request ids: a retry is not served or billed twice (AIP-155)', () => {
    const providerCalls = () => f.cheapA.calls.length + f.cheapB.calls.length + f.strong.calls.length;
    const rowsFor = (requestId: string) => [...f.billing.state.ledger.keys()].filter((id) => id === requestId || id.startsWith(`${requestId}~`));

    it('answers a retry of a completed Generate with the original response: no provider call, no second hold or usage row', async () => {
      const first = await f.client.generate(ask(EASY, { context: { requestId: 'retry-1' } }));
      const calls = providerCalls();
      const holds = f.billing.state.calls.reserveBudget;
      const again = await f.client.generate(ask(EASY, { context: { requestId: 'retry-1' } }));
      expect(again).toEqual(first);
      expect(providerCalls()).toBe(calls);
      expect(f.billing.state.calls.reserveBudget).toBe(holds);
      expect(await f.router.shipper.drain(5000)).toBe(true);
      expect(rowsFor('retry-1')).toEqual(['retry-1']);
    });

    it('coalesces concurrent duplicates into one provider call and one usage row', async () => {
      f.cheapA.script.delayMs = 300;
      const calls = providerCalls();
      const answers = await Promise.all([1, 2, 3].map(() => f.client.generate(ask(EASY, { context: { requestId: 'retry-concurrent' } }))));
      expect(providerCalls()).toBe(calls + 1);
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
      expect(await f.router.shipper.drain(5000)).toBe(true);
      expect(rowsFor('retry-concurrent')).toEqual(['retry-concurrent']);
    });

    it('refuses a different request under a used request id with ALREADY_EXISTS naming the id', async () => {
      await f.client.generate(ask(EASY, { context: { requestId: 'retry-reused' } }));
      const calls = providerCalls();
      const error = await failure(f.client.generate(ask(HARD, { context: { requestId: 'retry-reused' } })));
      expect(error.codeName).toBe('ALREADY_EXISTS');
      expect(error.reason).toBe('REQUEST_ID_REUSED');
      expect(error.message).toContain('"retry-reused"');
      expect(error.details.errorInfo?.metadata).toMatchObject({ request_id: 'retry-reused' });
      expect(providerCalls()).toBe(calls);
    });

    it('refuses a retry of a completed stream (a stream cannot be replayed) without calling a provider', async () => {
      for await (const event of f.client.streamGenerate(ask(EASY, { context: { requestId: 'retry-stream' } }))) void event;
      const calls = providerCalls();
      const error = await failure(
        (async () => {
          for await (const event of f.client.streamGenerate(ask(EASY, { context: { requestId: 'retry-stream' } }))) void event;
        })(),
      );
      expect(error.codeName).toBe('ALREADY_EXISTS');
      expect(error.reason).toBe('REQUEST_ALREADY_SERVED');
      expect(error.message).toContain('"retry-stream"');
      expect(providerCalls()).toBe(calls);
      expect(await f.router.shipper.drain(5000)).toBe(true);
      expect(rowsFor('retry-stream')).toEqual(['retry-stream']);
    });

    it('serves a retry of a request that failed (nothing was served)', async () => {
      f.cheapA.script.failures = [{ code: status.INVALID_ARGUMENT, message: 'bad request upstream', times: 1 }];
      expect((await failure(f.client.generate(ask(EASY, { context: { requestId: 'retry-after-failure' } })))).codeName).toBe('INVALID_ARGUMENT');
      const response = await f.client.generate(ask(EASY, { context: { requestId: 'retry-after-failure' } }));
      expect(response.requestId).toBe('retry-after-failure');
      expect(await f.router.shipper.drain(5000)).toBe(true);
      expect(rowsFor('retry-after-failure')).toEqual(['retry-after-failure']);
    });

    it('refuses a request id billing already recorded as served (another replica, or before a restart)', async () => {
      // What another replica left behind: the usage row of a served request, delivered to billing.
      const other = await f.client.generate(ask(EASY, { context: { requestId: 'served-elsewhere-template' } }));
      expect(await f.router.shipper.drain(5000)).toBe(true);
      const row = f.billing.state.ledger.get('served-elsewhere-template')!;
      f.billing.state.ledger.set('served-elsewhere', { ...row, record: { ...row.record, requestId: 'served-elsewhere' } });
      expect(other.requestId).toBe('served-elsewhere-template');
      const calls = providerCalls();
      for (const call of [
        () => f.client.generate(ask(EASY, { context: { requestId: 'served-elsewhere' } })),
        async () => {
          for await (const event of f.client.streamGenerate(ask(EASY, { context: { requestId: 'served-elsewhere' } }))) void event;
        },
      ]) {
        const error = await failure(call());
        expect(error.codeName).toBe('ALREADY_EXISTS');
        expect(error.reason).toBe('REQUEST_ALREADY_SERVED');
        expect(error.message).toContain('"served-elsewhere"');
      }
      expect(providerCalls()).toBe(calls);
    });
  });

  describe('validation and authentication', () => {
    it.each([
      ['no messages', { messages: [] }, 'messages'],
      ['a message without a role', { messages: [{ parts: [{ kind: { case: 'text', value: 'x' } }] }] }, 'messages[0].role'],
      ['an assistant message last', { messages: [chatMessage('user', 'a'), chatMessage('assistant', 'b')] }, 'messages[1].role'],
      ['a temperature out of range', ask(EASY, { params: { temperature: 3 } }), 'params.temperature'],
      ['max_output_tokens 0', ask(EASY, { params: { maxOutputTokens: 0 } }), 'params.max_output_tokens'],
      ['a named tool choice without the tool', ask(EASY, { params: { tools: [{ name: 'a' }], toolChoice: { mode: common.ToolChoiceMode.NAMED, toolName: 'b' } } }), 'params.tool_choice.tool_name'],
      ['an http image', { messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'image', value: { source: { case: 'url', value: 'http://x/y.png' } } } }] }] }, 'messages[0].parts[0].image.url'],
      ['a tool error flag on a user message', { messages: [{ role: common.Role.USER, toolError: true, parts: [{ kind: { case: 'text', value: 'x' } }] }] }, 'messages[0].tool_error'],
      ['an email as end user', ask(EASY, { context: { endUserId: 'jane@example.com' } }), 'context.end_user_id'],
      ['a bad quality target', ask(EASY, { routing: { qualityTarget: 1.5 } }), 'routing.quality_target'],
      ['a prompt longer than every context window', ask('word '.repeat(120_000)), 'messages'],
    ])('refuses %s with INVALID_ARGUMENT naming the field', async (_name, request, field) => {
      const error = await failure(f.client.generate(request as never));
      expect(error.codeName).toBe('INVALID_ARGUMENT');
      expect(error.details.badRequest?.fieldViolations[0]?.field).toBe(field);
    });

    it('says so when the prompt is longer than every context window', async () => {
      const error = await failure(f.client.explainRoute(ask('word '.repeat(120_000))));
      expect(error.message).toContain("longer than every candidate's context window");
      expect(error.reason).toBe('PROMPT_TOO_LONG');
    });

    it('refuses unknown keys and teams without a policy', async () => {
      const anonymous = createRouterClient(f.router.address);
      expect((await failure(anonymous.generate(ask(EASY)))).codeName).toBe('UNAUTHENTICATED');
      anonymous.close();
      const stranger = f.clientFor(f.secrets.stranger);
      const error = await failure(stranger.generate(ask(EASY)));
      expect(error.codeName).toBe('PERMISSION_DENIED');
      expect(error.reason).toBe('TEAM_NOT_CONFIGURED');
    });
  });

  describe('ApiKeyService', () => {
    it('lets admins issue, list and revoke keys; a revoked key stops working at once', async () => {
      const created = await f.admin.createApiKey({ teamId: 'acme', role: 1, description: 'ci' });
      expect(created.secret).toMatch(/^sy_/);
      const fresh = f.clientFor(created.secret);
      expect((await fresh.explainRoute(ask(EASY))).route?.rule).toBeDefined();
      const listed = await f.admin.listApiKeys({ teamId: 'acme' });
      expect(listed.keys.map((k) => k.keyId)).toContain(created.key!.keyId);
      expect(JSON.stringify(listed.keys.map((k) => ({ ...k, createTime: undefined })))).not.toContain(created.secret);
      await f.admin.revokeApiKey({ keyId: created.key!.keyId });
      expect((await failure(fresh.explainRoute(ask(EASY)))).codeName).toBe('UNAUTHENTICATED');
    });

    it('refuses team keys', async () => {
      const asTeam = createApiKeyClient(f.router.address, { apiKey: f.secrets.acme });
      expect((await failure(asTeam.listApiKeys({}))).codeName).toBe('PERMISSION_DENIED');
      asTeam.close();
    });

    it('pages through keys', async () => {
      const seen = new Set<string>();
      let pageToken = '';
      for (let i = 0; i < 20; i++) {
        const page = await f.admin.listApiKeys({ pageSize: 2, pageToken });
        for (const key of page.keys) seen.add(key.keyId);
        pageToken = page.nextPageToken;
        if (!pageToken) break;
      }
      expect(seen.size).toBeGreaterThanOrEqual(5);
    });
  });

  describe('ListModels', () => {
    it("lists the team's models with quality, price and aliases", async () => {
      const models = await f.client.listModels({});
      expect(models.models.map((m) => `${m.info?.ref?.model}@${m.info?.ref?.deployment}`).sort()).toEqual(['claude-sonnet-4-5@strong-a', 'gpt-4.1-nano@cheap-a', 'gpt-4.1-nano@cheap-b']);
      expect(models.aliases).toEqual(['switchyard/auto', 'switchyard/best']);
      const nano = models.models.find((m) => m.info?.ref?.model === 'gpt-4.1-nano')!;
      expect(nano.qualityByTaskClass['chat']).toBeCloseTo(0.75, 4);
      expect(nano.info?.price?.inputNanosUsdPerMtok).toBe(100_000_000n);
      expect(nano.available).toBe(true);
    });
  });
});

describe('router with an adapter that goes down', () => {
  let f: RouterFixture;
  // What the router told its telemetry hooks.
  const attemptsSeen: AttemptSummary[] = [];
  const circuitChanges: Array<{ deployment: string; state: string; models: string[] }> = [];
  beforeAll(async () => {
    f = await startRouterFixture({
      startOptions: {
        hooks: {
          onAttemptFinished: (attempt) => attemptsSeen.push(attempt),
          onCircuitChange: (deployment, state, models) => circuitChanges.push({ deployment, state, models: models.map((m) => `${m.provider}/${m.model}`) }),
        },
      },
    });
  });
  afterAll(async () => {
    await f.close();
  });

  it('marks the adapter down in ListModels instead of dropping it, and routes around it', async () => {
    await f.cheapA.close();
    let models = await f.client.listModels({});
    for (let i = 0; i < 50 && models.models.find((m) => m.info?.ref?.deployment === 'cheap-a')?.available !== false; i++) {
      await sleep(50);
      models = await f.client.listModels({});
    }
    const down = models.models.find((m) => m.info?.ref?.deployment === 'cheap-a')!;
    expect(down.available).toBe(false);
    expect(down.unavailableReason).toContain('cheap-a');
    const response = await f.client.generate(ask(EASY));
    expect(chosen(response.route)).toBe('gpt-4.1-nano@cheap-b');
  });
});
