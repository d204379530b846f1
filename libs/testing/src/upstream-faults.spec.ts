import { UpstreamFaultPlan, faultGroup, parseFaultHeader, resolveFaults, type UpstreamFault } from './upstream-faults';

describe('upstream fault plan', () => {
  it('applies a fault with times to exactly that many requests', () => {
    const plan = new UpstreamFaultPlan([{ kind: 'unavailable', times: 2 }]);
    const kinds = Array.from({ length: 3 }, () => plan.take('m').outcome?.kind);
    expect(kinds).toEqual(['unavailable', 'unavailable', undefined]);
    expect(plan.pending).toEqual([]);
  });

  it('applies a fault without times until cleared', () => {
    const plan = new UpstreamFaultPlan([{ kind: 'server_error' }]);
    for (let i = 0; i < 5; i++) expect(plan.take('m').outcome?.kind).toBe('server_error');
    plan.clear();
    expect(plan.take('m')).toEqual({});
  });

  it('takes one fault per group, first in plan order, so outcomes run in sequence', () => {
    const plan = new UpstreamFaultPlan([
      { kind: 'unavailable', times: 1 },
      { kind: 'rate_limit', times: 1 },
      { kind: 'slow_first_byte', delayMs: 10, times: 2 },
      { kind: 'stream_cut', times: 1 },
    ]);
    const first = plan.take('m');
    expect(Object.values(first).map((fault) => fault.kind)).toEqual(['unavailable', 'slow_first_byte', 'stream_cut']);
    const second = plan.take('m');
    expect(Object.values(second).map((fault) => fault.kind)).toEqual(['rate_limit', 'slow_first_byte']);
    expect(plan.take('m')).toEqual({});
  });

  it('matches a model-scoped fault only for that model', () => {
    const plan = new UpstreamFaultPlan([{ kind: 'overloaded', model: 'big', times: 1 }]);
    expect(plan.take('small')).toEqual({});
    expect(plan.take('big').outcome?.kind).toBe('overloaded');
  });

  it('reports pending faults with the remaining count', () => {
    const plan = new UpstreamFaultPlan([{ kind: 'rate_limit', times: 3 }]);
    plan.take(undefined);
    expect(plan.pending).toEqual([{ kind: 'rate_limit', times: 2 }]);
  });

  it('rejects an unknown kind', () => {
    expect(() => new UpstreamFaultPlan([{ kind: 'gremlins' } as unknown as UpstreamFault])).toThrow(/unknown fault kind/);
  });
});

describe('x-fake-fault header', () => {
  it.each([
    ['rate_limit', [{ kind: 'rate_limit' }]],
    ['stream_cut;afterChunks=3', [{ kind: 'stream_cut', afterChunks: 3 }]],
    [
      'slow_first_byte; delayMs=200 , malformed_sse',
      [{ kind: 'slow_first_byte', delayMs: 200 }, { kind: 'malformed_sse' }],
    ],
    ['bad_request;message=too%20long', [{ kind: 'bad_request', message: 'too long' }]],
    ['rate_limit;retryAfterSeconds=9', [{ kind: 'rate_limit', retryAfterSeconds: 9 }]],
  ])('parses %j', (header, expected) => {
    expect(parseFaultHeader(header)).toEqual(expected);
  });

  it.each(['gremlins', 'stream_cut;afterChunks=-1', 'rate_limit;bogus=1'])('rejects %j', (header) => {
    expect(() => parseFaultHeader(header)).toThrow();
  });

  it('resolves header faults one per group without a plan', () => {
    const resolved = resolveFaults(parseFaultHeader('server_error, rate_limit, slow_stream'));
    expect(resolved.outcome?.kind).toBe('server_error');
    expect(resolved.chunkDelay?.kind).toBe('slow_stream');
  });

  it.each([
    ['rate_limit', 'outcome'],
    ['connection_reset', 'outcome'],
    ['malformed_sse', 'corruption'],
    ['stream_cut', 'corruption'],
    ['slow_first_byte', 'firstByteDelay'],
    ['slow_stream', 'chunkDelay'],
  ] as const)('puts %s in group %s', (kind, group) => {
    expect(faultGroup(kind)).toBe(group);
  });
});
