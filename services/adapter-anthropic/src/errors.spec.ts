import Anthropic, { APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { status as Status } from '@grpc/grpc-js';
import { upstreamFailureStatus } from '@switchyard/provider-kit';
import { startFakeAnthropic, type FakeUpstream, type UpstreamFault } from '@switchyard/testing';
import { describeAnthropicError } from './errors';

// Real SDK errors, produced by pointing the official SDK at the fake upstream, mapped to our status.
describe('describeAnthropicError with errors thrown by the real @anthropic-ai/sdk', () => {
  let fake: FakeUpstream;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    client = new Anthropic({ baseURL: fake.baseURL, apiKey: fake.apiKey, authToken: null, maxRetries: 0, logLevel: 'off' });
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
  const unary = (options: { signal?: AbortSignal } = {}) =>
    client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hello there' }] }, { timeout: 10_000, ...options });
  const streamed = async () => {
    const stream = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hello there, how are you today' }] });
    for await (const event of stream) void event;
  };
  const mapped = (error: unknown) => {
    const failure = describeAnthropicError(error);
    if (!failure) throw new Error(`not described: ${String(error)}`);
    return upstreamFailureStatus(failure, { provider: 'anthropic' });
  };

  it.each<[string, UpstreamFault, Status, string]>([
    ['429 with retry-after', { kind: 'rate_limit', retryAfterSeconds: 3 }, Status.RESOURCE_EXHAUSTED, 'UPSTREAM_RATE_LIMITED'],
    ['500 api_error', { kind: 'server_error' }, Status.UNAVAILABLE, 'UPSTREAM_UNAVAILABLE'],
    ['503', { kind: 'unavailable' }, Status.UNAVAILABLE, 'UPSTREAM_UNAVAILABLE'],
    ['529 overloaded_error', { kind: 'overloaded' }, Status.UNAVAILABLE, 'UPSTREAM_OVERLOADED'],
    ['401 wrong key', { kind: 'wrong_key' }, Status.FAILED_PRECONDITION, 'PROVIDER_KEY_REJECTED'],
    ['400', { kind: 'bad_request', message: 'messages.0.content: text content blocks must be non-empty' }, Status.INVALID_ARGUMENT, 'UPSTREAM_REJECTED_REQUEST'],
    ['connection reset', { kind: 'connection_reset' }, Status.UNAVAILABLE, 'UPSTREAM_UNREACHABLE'],
  ])('unary %s', async (_name, fault, code, reason) => {
    fake.setFaults([{ ...fault, times: 1 }]);
    const failure = mapped(await errorFrom(() => unary()));
    expect([failure.code, failure.details.reason]).toEqual([code, reason]);
    if (fault.kind === 'rate_limit') expect(failure.details.retryDelayMs).toBe(3000);
    if (fault.kind === 'bad_request') expect(failure.details.fieldViolations?.[0]?.description).toContain('text content blocks must be non-empty');
  });

  it("the SDK's timeout error is DEADLINE_EXCEEDED", () => {
    // Built directly: under jest the abort comes from another realm (see adapter-openai's errors.spec).
    const failure = mapped(new APIConnectionTimeoutError());
    expect([failure.code, failure.details.reason]).toEqual([Status.DEADLINE_EXCEEDED, 'UPSTREAM_TIMEOUT']);
  });

  it('an `event: error` inside a stream (overloaded) is UNAVAILABLE', () => {
    // What the SDK throws for `event: error` / `{"type":"error","error":{"type":"overloaded_error",...}}`.
    const error = new APIError(undefined, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, undefined, undefined, 'overloaded_error');
    const failure = mapped(error);
    expect([failure.code, failure.details.reason]).toEqual([Status.UNAVAILABLE, 'UPSTREAM_OVERLOADED']);
  });

  it('our own abort is described as aborted', async () => {
    fake.setFaults([{ kind: 'slow_first_byte', delayMs: 2000, times: 1 }]);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    expect(describeAnthropicError(await errorFrom(() => unary({ signal: abort.signal })))).toEqual({ kind: 'aborted' });
  });

  it.each<[string, UpstreamFault, string]>([
    ['a stream cut mid-way', { kind: 'stream_cut', afterChunks: 4 }, 'UPSTREAM_UNREACHABLE'],
    ['a malformed event', { kind: 'malformed_sse', afterChunks: 3 }, 'UPSTREAM_PROTOCOL_ERROR'],
  ])('%s is UNAVAILABLE', async (_name, fault, reason) => {
    fake.setFaults([{ ...fault, times: 1 }]);
    const failure = mapped(await errorFrom(streamed));
    expect([failure.code, failure.details.reason]).toEqual([Status.UNAVAILABLE, reason]);
  });
});
