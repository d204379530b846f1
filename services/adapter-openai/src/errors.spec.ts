import { status as Status } from '@grpc/grpc-js';
import { upstreamFailureStatus } from '@switchyard/provider-kit';
import { startFakeOpenAI, type FakeUpstream, type UpstreamFault } from '@switchyard/testing';
import OpenAI, { APIConnectionTimeoutError } from 'openai';
import { describeOpenAIError } from './errors';

// Real SDK errors, produced by pointing the official SDK at the fake upstream, mapped to our status.
describe('describeOpenAIError with errors thrown by the real openai SDK', () => {
  let fake: FakeUpstream;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ baseURL: fake.baseURL, apiKey: fake.apiKey, maxRetries: 0, logLevel: 'off' });
  });
  afterAll(() => fake.close());
  afterEach(() => fake.clearFaults());

  const errorFrom = async (request: () => Promise<unknown>): Promise<unknown> => {
    try {
      await request();
    } catch (error) {
      return error;
    }
    throw new Error('expected the SDK to throw');
  };
  const unary = (options: { timeout?: number; signal?: AbortSignal } = {}) =>
    client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] }, options);
  const streamed = async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello there, how are you today' }] });
    for await (const chunk of stream) void chunk;
  };
  const mapped = (error: unknown) => {
    const failure = describeOpenAIError(error);
    if (!failure) throw new Error(`not described: ${String(error)}`);
    return upstreamFailureStatus(failure, { provider: 'openai' });
  };

  it.each<[string, UpstreamFault, Status, string]>([
    ['429 with retry-after', { kind: 'rate_limit', retryAfterSeconds: 4 }, Status.RESOURCE_EXHAUSTED, 'UPSTREAM_RATE_LIMITED'],
    ['500', { kind: 'server_error' }, Status.UNAVAILABLE, 'UPSTREAM_UNAVAILABLE'],
    ['503', { kind: 'unavailable' }, Status.UNAVAILABLE, 'UPSTREAM_UNAVAILABLE'],
    ['503 overloaded', { kind: 'overloaded' }, Status.UNAVAILABLE, 'UPSTREAM_OVERLOADED'],
    ['401 wrong key', { kind: 'wrong_key' }, Status.FAILED_PRECONDITION, 'PROVIDER_KEY_REJECTED'],
    ['400', { kind: 'bad_request', message: "Invalid 'temperature': decimal above maximum value." }, Status.INVALID_ARGUMENT, 'UPSTREAM_REJECTED_REQUEST'],
    ['connection reset', { kind: 'connection_reset' }, Status.UNAVAILABLE, 'UPSTREAM_UNREACHABLE'],
    ['body cut short', { kind: 'stream_cut' }, Status.UNAVAILABLE, 'UPSTREAM_UNREACHABLE'],
  ])('unary %s', async (_name, fault, code, reason) => {
    fake.setFaults([{ ...fault, times: 1 }]);
    const failure = mapped(await errorFrom(() => unary()));
    expect([failure.code, failure.details.reason]).toEqual([code, reason]);
    if (fault.kind === 'rate_limit') expect(failure.details.retryDelayMs).toBe(4000);
    if (fault.kind === 'bad_request') expect(failure.details.fieldViolations?.[0]?.description).toContain("Invalid 'temperature'");
    expect(failure.details.metadata?.['upstream_request_id'] ?? 'none').toMatch(/^(req_\d+fake|none)$/);
  });

  it("the SDK's timeout error is DEADLINE_EXCEEDED", () => {
    // Under jest, Node's fetch throws its AbortError from another realm and the SDK reports a plain
    // connection error instead (the service then decides by elapsed time, see provider-service.spec);
    // in a real process the SDK throws this class, so the class itself is mapped here.
    const failure = mapped(new APIConnectionTimeoutError());
    expect([failure.code, failure.details.reason]).toEqual([Status.DEADLINE_EXCEEDED, 'UPSTREAM_TIMEOUT']);
  });

  it('our own abort is described as aborted (CANCELLED without a deadline)', async () => {
    fake.setFaults([{ kind: 'slow_first_byte', delayMs: 2000, times: 1 }]);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const error = await errorFrom(() => unary({ signal: abort.signal }));
    expect(describeOpenAIError(error)).toEqual({ kind: 'aborted' });
    expect(mapped(error).code).toBe(Status.CANCELLED);
  });

  it('a refused connection is UNAVAILABLE', async () => {
    const closed = await startFakeOpenAI();
    await closed.close();
    const offline = new OpenAI({ baseURL: closed.baseURL, apiKey: 'k', maxRetries: 0, logLevel: 'off' });
    const error = await errorFrom(() => offline.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(mapped(error).code).toBe(Status.UNAVAILABLE);
  });

  it.each<[string, UpstreamFault, string]>([
    ['a stream cut mid-way', { kind: 'stream_cut', afterChunks: 3 }, 'UPSTREAM_UNREACHABLE'],
    ['a malformed event', { kind: 'malformed_sse', afterChunks: 2 }, 'UPSTREAM_PROTOCOL_ERROR'],
  ])('%s is UNAVAILABLE', async (_name, fault, reason) => {
    fake.setFaults([{ ...fault, times: 1 }]);
    const failure = mapped(await errorFrom(streamed));
    expect([failure.code, failure.details.reason]).toEqual([Status.UNAVAILABLE, reason]);
  });

  it('leaves errors that are not the upstream exchange alone (they stay INTERNAL)', () => {
    expect(describeOpenAIError(new RangeError('bug'))).toBeUndefined();
  });
});
