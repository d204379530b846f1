import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { common, router } from '@switchyard/contracts';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { chatMessage } from '@switchyard/sdk';
import { createServedRequests, requestFingerprint, type RequestAdmission } from './served-requests';

/** The request fields besides the messages a test may set. */
type RequestExtras = {
  model?: string;
  params?: MessageInitShape<typeof common.GenerationParamsSchema>;
  context?: MessageInitShape<typeof common.CallerContextSchema>;
  routing?: MessageInitShape<typeof router.RoutingOptionsSchema>;
};

const request = (text: string, extra: RequestExtras = {}) =>
  create(router.GenerateRequestSchema, { messages: [chatMessage('system', 'Be brief.'), chatMessage('user', text)], context: { requestId: 'r' }, ...extra });
const A = requestFingerprint('Generate', request('hello'));
const B = requestFingerprint('Generate', request('hello!'));
const S = requestFingerprint('StreamGenerate', request('hello'));

function refusal(fn: () => unknown): ServiceFailure {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServiceFailure) return error;
    throw error;
  }
  throw new Error('expected ALREADY_EXISTS');
}

const serve = <R>(admission: RequestAdmission<R>) => {
  if (admission.kind !== 'serve') throw new Error(`expected serve, got ${admission.kind}`);
  return admission.ticket;
};

describe('served requests (AIP-155 in one process)', () => {
  it('fingerprints the kind and every part of the content', () => {
    expect(requestFingerprint('Generate', request('hello'))).toBe(A);
    const variants = [
      B,
      S,
      requestFingerprint('Generate', request('hello', { model: 'gpt-4.1-nano' })),
      requestFingerprint('Generate', request('hello', { params: { maxOutputTokens: 5 } })),
      requestFingerprint('Generate', request('hello', { context: { requestId: 'r', project: 'p' } })),
      requestFingerprint('Generate', request('hello', { routing: { disableFallback: true } })),
      requestFingerprint('Generate', create(router.GenerateRequestSchema, { messages: [chatMessage('system', 'Be brief.hello')], context: { requestId: 'r' } })),
      requestFingerprint('Generate', create(router.GenerateRequestSchema, { messages: [chatMessage('system', 'Be brief.'), chatMessage('assistant', 'hello')], context: { requestId: 'r' } })),
      requestFingerprint(
        'Generate',
        create(router.GenerateRequestSchema, {
          messages: [chatMessage('system', 'Be brief.'), { role: common.Role.USER, parts: [{ kind: { case: 'text', value: 'hello' } }, { kind: { case: 'image', value: { source: { case: 'url', value: 'https://x/y.png' } } } }] }],
          context: { requestId: 'r' },
        }),
      ),
    ];
    expect(new Set([A, ...variants]).size).toBe(variants.length + 1);
  });

  it('replays a completed Generate, per team, and refuses the id for a different request', () => {
    const served = createServedRequests<string>();
    serve(served.admit('acme', 'r1', 'Generate', A)).served('answer-1');
    expect(served.admit('acme', 'r1', 'Generate', A)).toEqual({ kind: 'replay', response: 'answer-1' });
    expect(refusal(() => served.admit('acme', 'r1', 'Generate', B))).toMatchObject({ code: 6, details: { reason: 'REQUEST_ID_REUSED', metadata: { request_id: 'r1' } } });
    expect(refusal(() => served.admit('acme', 'r1', 'StreamGenerate', S)).details.reason).toBe('REQUEST_ID_REUSED');
    // Another team's request ids are its own.
    expect(served.admit('rival', 'r1', 'Generate', A).kind).toBe('serve');
  });

  it('joins a duplicate of a Generate in flight to the original outcome, success or failure', async () => {
    const served = createServedRequests<string>();
    const original = serve(served.admit('acme', 'r2', 'Generate', A));
    const duplicate = served.admit('acme', 'r2', 'Generate', A);
    expect(duplicate.kind).toBe('join');
    original.served('answer-2');
    await expect((duplicate as { outcome: Promise<string> }).outcome).resolves.toBe('answer-2');

    const failing = serve(served.admit('acme', 'r3', 'Generate', A));
    const joined = served.admit('acme', 'r3', 'Generate', A) as { outcome: Promise<string> };
    failing.failed(new Error('all candidates failed'));
    await expect(joined.outcome).rejects.toThrow('all candidates failed');
    // A failed request frees its id: the retry is served.
    expect(served.admit('acme', 'r3', 'Generate', A).kind).toBe('serve');
    expect(served.stats()).toMatchObject({ inFlight: 1, completed: 1 });
  });

  it('never replays or joins a stream', () => {
    const served = createServedRequests<string>();
    const stream = serve(served.admit('acme', 's1', 'StreamGenerate', S));
    expect(refusal(() => served.admit('acme', 's1', 'StreamGenerate', S)).details.reason).toBe('REQUEST_IN_PROGRESS');
    stream.served();
    const again = refusal(() => served.admit('acme', 's1', 'StreamGenerate', S));
    expect(again.details.reason).toBe('REQUEST_ALREADY_SERVED');
    expect(again.message).toContain('"s1"');
    // A stream that broke frees its id.
    serve(served.admit('acme', 's2', 'StreamGenerate', S)).failed(undefined);
    expect(served.admit('acme', 's2', 'StreamGenerate', S).kind).toBe('serve');
  });

  it('forgets completed requests after the TTL and beyond the entry and byte bounds, least recently used first', () => {
    let now = 0;
    const served = createServedRequests<string>({ ttlMs: 1000, maxEntries: 3, maxBytes: 10_000, sizeOf: (answer) => answer.length, now: () => now });
    for (const id of ['a', 'b', 'c']) serve(served.admit('acme', id, 'Generate', A)).served(id.repeat(10));
    expect(served.admit('acme', 'a', 'Generate', A).kind).toBe('replay'); // 'a' is now the most recent
    serve(served.admit('acme', 'd', 'Generate', A)).served('d'); // evicts 'b', the least recently used
    expect(served.admit('acme', 'b', 'Generate', A).kind).toBe('serve');
    expect(served.admit('acme', 'a', 'Generate', A).kind).toBe('replay');
    now = 1001;
    expect(served.admit('acme', 'a', 'Generate', A).kind).toBe('serve');

    const small = createServedRequests<string>({ maxBytes: 25, sizeOf: (answer) => answer.length });
    serve(small.admit('acme', 'x', 'Generate', A)).served('x'.repeat(20));
    serve(small.admit('acme', 'y', 'Generate', A)).served('y'.repeat(20));
    expect(small.stats()).toEqual({ completed: 1, inFlight: 0, bytes: 20 });
    expect(small.admit('acme', 'x', 'Generate', A).kind).toBe('serve');
    serve(small.admit('acme', 'huge', 'Generate', A)).served('h'.repeat(30)); // larger than the bound: not kept
    expect(small.admit('acme', 'huge', 'Generate', A).kind).toBe('serve');
  });
});
