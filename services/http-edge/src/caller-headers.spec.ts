import { presentedKey, readCallerHeaders, traceIdOf } from './caller-headers';
import { EdgeRequestError } from './translate/edge-request-error';

const options = { maxTimeoutMs: 120_000, newRequestId: () => 'generated-id' };

describe('traceIdOf: W3C traceparent validation', () => {
  it.each([
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', undefined],
    ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', undefined],
    ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', undefined],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', undefined],
    ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', undefined],
    ['garbage', undefined],
    [undefined, undefined],
  ])('%s → %s', (traceparent, expected) => {
    expect(traceIdOf(traceparent)).toBe(expected);
  });
});

describe('readCallerHeaders', () => {
  it('forwards the key as Bearer, trace context but not baggage, and makes a request id', () => {
    const read = readCallerHeaders(
      { 'x-api-key': 'sk-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'a=1', baggage: 'team=root' },
      options,
    );
    expect(read.metadata).toEqual({ authorization: 'Bearer sk-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'a=1' });
    expect(read.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(read.caller.requestId).toBe('generated-id');
    expect(read.caller.routing).toBeUndefined();
  });

  it('prefers Authorization: Bearer over x-api-key, like the router', () => {
    expect(presentedKey({ authorization: 'Bearer a', 'x-api-key': 'b' })).toBe('a');
    expect(presentedKey({ authorization: 'Basic zzz', 'x-api-key': 'b' })).toBe('b');
    expect(presentedKey({})).toBeUndefined();
  });

  it('cuts the timeout to the caller’s own and the SDK’s announced one', () => {
    expect(readCallerHeaders({}, options).timeoutMs).toBe(120_000);
    expect(readCallerHeaders({ 'x-stainless-timeout': '600' }, options).timeoutMs).toBe(120_000);
    expect(readCallerHeaders({ 'x-stainless-timeout': '30' }, options).timeoutMs).toBe(30_000);
    expect(readCallerHeaders({ 'x-switchyard-timeout-ms': '2500', 'x-stainless-timeout': '30' }, options).timeoutMs).toBe(2500);
  });

  it('reads routing hints', () => {
    const read = readCallerHeaders({ 'x-switchyard-latency-objective-ms': '1500', 'x-switchyard-disable-fallback': 'false' }, options);
    expect(read.caller.routing).toEqual({ latencyObjective: { seconds: 1n, nanos: 500_000_000 }, disableFallback: false });
  });

  it.each([
    ['idempotency-key', 'has spaces in it', 'Idempotency-Key'],
    ['x-switchyard-project', 'no/slashes', 'x-switchyard-project'],
    ['x-switchyard-quality-target', '1.5', 'x-switchyard-quality-target'],
    ['x-switchyard-max-cost-nanos-usd', '-1', 'x-switchyard-max-cost-nanos-usd'],
    ['x-switchyard-latency-objective-ms', '0', 'x-switchyard-latency-objective-ms'],
    ['x-switchyard-disable-fallback', 'yes', 'x-switchyard-disable-fallback'],
    ['x-switchyard-timeout-ms', 'soon', 'x-switchyard-timeout-ms'],
  ])('refuses a bad %s header, naming it', (name, value, field) => {
    let caught: unknown;
    try {
      readCallerHeaders({ [name]: value }, options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EdgeRequestError);
    expect((caught as EdgeRequestError).field).toBe(field);
  });
});
