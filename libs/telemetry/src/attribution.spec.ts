import { context, defaultTextMapGetter, defaultTextMapSetter, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { contextWithAttribution, currentAttribution, PolicyBaggagePropagator, withTrustedBaggage, withTrustedBaggageStream } from './attribution';
import { startTelemetry, type Telemetry } from './bootstrap';
import { withSpan } from './spans';

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;

beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'attribution-test', env: {}, autoInstrument: false, spanExporter: exporter });
});
afterAll(() => telemetry.shutdown());
beforeEach(() => exporter.reset());

const attributesOf = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name)?.attributes;

describe('withTrustedBaggage', () => {
  it('stamps the team on the active server span and on every span started inside', async () => {
    await withSpan(
      'grpc server',
      {},
      async () =>
        withTrustedBaggage({ team: 'team-a', project: 'search', featureTags: ['feature:summaries', 'beta'] }, async () => {
          await withSpan('route.decide', {}, async () => undefined);
          withSpan('chat gpt-4o-mini', {}, () => undefined, { kind: SpanKind.CLIENT });
          expect(currentAttribution()).toEqual({ team: 'team-a', project: 'search', featureTags: ['feature:summaries', 'beta'] });
        }),
      { kind: SpanKind.SERVER },
    );
    const expected = { 'switchyard.team': 'team-a', 'switchyard.project': 'search', 'switchyard.feature_tags': ['feature:summaries', 'beta'] };
    for (const name of ['grpc server', 'route.decide', 'chat gpt-4o-mini']) expect(attributesOf(name)).toMatchObject(expected);
  });

  it('replaces any baggage already in the context, so a caller cannot choose the team charged', () => {
    const forged = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ 'switchyard.team': { value: 'victim' }, other: { value: 'x' } }));
    context.with(forged, () =>
      withTrustedBaggage({ team: 'team-b' }, () => {
        withSpan('inside', {}, () => undefined);
        expect(propagation.getBaggage(context.active())?.getAllEntries().map(([key]) => key)).toEqual(['switchyard.team']);
      }),
    );
    expect(attributesOf('inside')).toEqual({ 'switchyard.team': 'team-b' });
  });

  it('leaves spans outside attribution untouched', () => {
    withSpan('plain', {}, () => undefined);
    expect(attributesOf('plain')).toEqual({});
    expect(currentAttribution()).toBeUndefined();
  });

  it('keeps the attribution across the pulls of a streaming handler', async () => {
    async function* handler() {
      await new Promise((resolve) => setTimeout(resolve, 1));
      yield currentAttribution()?.team;
      withSpan('during stream', {}, () => undefined);
      yield currentAttribution()?.project;
    }
    const seen: (string | undefined)[] = [];
    for await (const item of withTrustedBaggageStream({ team: 'team-s', project: 'p' }, () => handler())) seen.push(item);
    expect(seen).toEqual(['team-s', 'p']);
    expect(attributesOf('during stream')).toMatchObject({ 'switchyard.team': 'team-s' });
  });
});

describe('PolicyBaggagePropagator', () => {
  const carrier = { baggage: 'switchyard.team=victim,switchyard.project=x' };

  it('drops inbound baggage by default and reads it when trusted', () => {
    const propagator = new PolicyBaggagePropagator();
    expect(propagator.incomingPolicy).toBe('drop');
    expect(propagation.getBaggage(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter))).toBeUndefined();
    propagator.setPolicy('trust');
    const extracted = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    expect(currentAttribution(extracted)).toEqual({ team: 'victim', project: 'x', featureTags: undefined });
  });

  it('always sends the context baggage, and feature tags with commas survive the round trip', () => {
    const propagator = new PolicyBaggagePropagator('drop');
    const out: Record<string, string> = {};
    const tags = ['a,b', 'c=d', 'ünïcode tag'];
    propagator.inject(contextWithAttribution(ROOT_CONTEXT, { team: 't', featureTags: tags }), out, defaultTextMapSetter);
    expect(out.baggage).toContain('switchyard.team=t');
    const back = new PolicyBaggagePropagator('trust').extract(ROOT_CONTEXT, out, defaultTextMapGetter);
    expect(currentAttribution(back)?.featureTags).toEqual(tags);
  });

  it('is what the global propagator uses once telemetry starts (drop until told to trust)', () => {
    const extracted = propagation.extract(ROOT_CONTEXT, { ...carrier, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(propagation.getBaggage(extracted)).toBeUndefined();
    expect(trace.getSpanContext(extracted)?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    telemetry.setIncomingBaggage('trust');
    try {
      expect(currentAttribution(propagation.extract(ROOT_CONTEXT, carrier))?.team).toBe('victim');
    } finally {
      telemetry.setIncomingBaggage('drop');
    }
  });
});
