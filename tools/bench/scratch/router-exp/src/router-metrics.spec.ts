import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { createSwitchyardMetrics } from '@switchyard/telemetry';
import { combineRouterHooks, createRouterMetricsHooks, METRIC_BUDGET_UNCHECKED } from './router-metrics';
import type { AttemptSummary, RoutedRequestSummary } from './router-service';

const request = (extra: Partial<RoutedRequestSummary>): RoutedRequestSummary => ({
  method: 'Generate',
  requestId: 'r-1',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  teamId: 'acme',
  project: '',
  rule: 'cheapest_meeting_quality',
  fallbacks: 0,
  statusCode: 'OK',
  latencyMs: 12,
  budgetChecked: true,
  ...extra,
});
const attempt = (extra: Partial<AttemptSummary>): AttemptSummary => ({
  requestId: 'r-1',
  teamId: 'acme',
  model: { provider: 'openai', model: 'gpt-4o-mini', deployment: 'openai-default' },
  statusCode: 'OK',
  durationMs: 5,
  attempt: 1,
  ...extra,
});

describe('router metrics from the router hooks', () => {
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('switchyard');
  const hooks = createRouterMetricsHooks({ metrics: createSwitchyardMetrics(meter), meter });
  afterAll(() => provider.shutdown());

  const points = async (name: string): Promise<Array<{ attributes: Attributes; value: unknown }>> => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({ attributes: p.attributes, value: p.value }));
  };

  it('counts the cost of every request billing charges for, by team, project, provider and model', async () => {
    hooks.onRequestFinished?.(request({ chosen: { provider: 'openai', model: 'gpt-4o-mini', deployment: 'openai-default' }, costNanos: 19_050n, project: 'search' }));
    hooks.onRequestFinished?.(request({ chosen: { provider: 'openai', model: 'gpt-4o-mini', deployment: 'openai-default' }, costNanos: 950n, project: 'search', statusCode: 'UNAVAILABLE' }));
    hooks.onRequestFinished?.(request({ statusCode: 'RESOURCE_EXHAUSTED' })); // refused: nothing consumed, nothing charged
    expect(await points('switchyard.cost.nanos_usd')).toEqual([
      { attributes: { 'switchyard.team': 'acme', 'switchyard.project': 'search', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' }, value: 20_000 },
    ]);
  });

  it('counts a fallback once per attempt that follows a failed one, with the failed model and its status', async () => {
    hooks.onAttemptFinished?.(attempt({ statusCode: 'UNAVAILABLE', model: { provider: 'openai', model: 'gpt-4.1-nano', deployment: 'openai-default' } }));
    hooks.onAttemptFinished?.(
      attempt({ attempt: 2, fallbackFrom: { provider: 'openai', model: 'gpt-4.1-nano', deployment: 'openai-default' }, fallbackReason: 'UNAVAILABLE' }),
    );
    expect(await points('switchyard.router.fallbacks')).toEqual([
      { attributes: { 'switchyard.fallback.from': 'openai/gpt-4.1-nano', 'switchyard.fallback.reason': 'UNAVAILABLE', 'switchyard.team': 'acme' }, value: 1 },
    ]);
  });

  it("shows a deployment's breaker state on each of its models, and counts unchecked requests", async () => {
    const models = [
      { provider: 'openai', model: 'gpt-4o-mini' },
      { provider: 'openai', model: 'gpt-4.1-nano' },
    ];
    hooks.onCircuitChange?.('openai-default', 'open', models);
    expect(await points('switchyard.circuit.state')).toEqual(models.map((m) => ({ attributes: { 'gen_ai.provider.name': m.provider, 'gen_ai.request.model': m.model }, value: 2 })));
    hooks.onCircuitChange?.('openai-default', 'half_open', models);
    expect((await points('switchyard.circuit.state')).map((p) => p.value)).toEqual([1, 1]);
    hooks.onBudgetUnchecked?.('acme');
    hooks.onBudgetUnchecked?.('acme');
    expect(await points(METRIC_BUDGET_UNCHECKED)).toEqual([{ attributes: { 'switchyard.team': 'acme' }, value: 2 }]);
  });

  it('combines hook sets, calling each in turn', () => {
    const seen: string[] = [];
    expect(combineRouterHooks(undefined, undefined)).toBeUndefined();
    const single = { onBudgetUnchecked: (team: string) => seen.push(`a:${team}`) };
    expect(combineRouterHooks(undefined, single)).toBe(single);
    const both = combineRouterHooks(single, { onBudgetUnchecked: (team) => seen.push(`b:${team}`), onCircuitChange: (d, s) => seen.push(`${d}:${s}`) });
    both?.onBudgetUnchecked?.('acme');
    both?.onCircuitChange?.('cheap-a', 'closed', []);
    both?.onRequestFinished?.(request({}));
    expect(seen).toEqual(['a:acme', 'b:acme', 'cheap-a:closed']);
  });
});
