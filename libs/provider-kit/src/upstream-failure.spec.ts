import { status as Status } from '@grpc/grpc-js';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { networkFailure, retryDelayFromHeaders, upstreamFailureStatus, type UpstreamFailure } from './upstream-failure';

const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });
const context = { provider: 'acme' };

describe('upstreamFailureStatus', () => {
  it.each<[string, UpstreamFailure, Status, string]>([
    ['429', { kind: 'http', status: 429, message: 'slow down', headers: headers({ 'retry-after': '3' }) }, Status.RESOURCE_EXHAUSTED, 'UPSTREAM_RATE_LIMITED'],
    ['429 out of credit', { kind: 'http', status: 429, message: 'quota', type: 'insufficient_quota' }, Status.RESOURCE_EXHAUSTED, 'UPSTREAM_QUOTA_EXHAUSTED'],
    ['400', { kind: 'http', status: 400, message: 'temperature too high' }, Status.INVALID_ARGUMENT, 'UPSTREAM_REJECTED_REQUEST'],
    ['422', { kind: 'http', status: 422, message: 'bad schema' }, Status.INVALID_ARGUMENT, 'UPSTREAM_REJECTED_REQUEST'],
    ['401', { kind: 'http', status: 401, message: 'Incorrect API key provided: sk-abc***' }, Status.FAILED_PRECONDITION, 'PROVIDER_KEY_REJECTED'],
    ['402', { kind: 'http', status: 402, message: 'billing' }, Status.FAILED_PRECONDITION, 'PROVIDER_BILLING'],
    ['403', { kind: 'http', status: 403, message: 'region' }, Status.FAILED_PRECONDITION, 'PROVIDER_PERMISSION_DENIED'],
    ['404', { kind: 'http', status: 404, message: 'no such model' }, Status.FAILED_PRECONDITION, 'UPSTREAM_NOT_FOUND'],
    ['408', { kind: 'http', status: 408, message: 'timeout' }, Status.DEADLINE_EXCEEDED, 'UPSTREAM_TIMEOUT'],
    ['409', { kind: 'http', status: 409, message: 'lock' }, Status.UNAVAILABLE, 'UPSTREAM_UNAVAILABLE'],
    ['500', { kind: 'http', status: 500, message: 'oops' }, Status.UNAVAILABLE, 'UPSTREAM_UNAVAILABLE'],
    ['503', { kind: 'http', status: 503, message: 'down' }, Status.UNAVAILABLE, 'UPSTREAM_UNAVAILABLE'],
    ['503 overloaded', { kind: 'http', status: 503, message: 'The engine is currently overloaded' }, Status.UNAVAILABLE, 'UPSTREAM_OVERLOADED'],
    ['529', { kind: 'http', status: 529, message: 'Overloaded', type: 'overloaded_error' }, Status.UNAVAILABLE, 'UPSTREAM_OVERLOADED'],
    ['504', { kind: 'http', status: 504, message: 'gateway timeout' }, Status.DEADLINE_EXCEEDED, 'UPSTREAM_TIMEOUT'],
    ['timeout', { kind: 'timeout' }, Status.DEADLINE_EXCEEDED, 'UPSTREAM_TIMEOUT'],
    ['connection', { kind: 'connection', message: 'ECONNRESET' }, Status.UNAVAILABLE, 'UPSTREAM_UNREACHABLE'],
    ['protocol', { kind: 'protocol', message: 'bad json' }, Status.UNAVAILABLE, 'UPSTREAM_PROTOCOL_ERROR'],
    ['stream error', { kind: 'stream_error', message: 'Overloaded', type: 'overloaded_error' }, Status.UNAVAILABLE, 'UPSTREAM_OVERLOADED'],
    ['aborted, no deadline', { kind: 'aborted' }, Status.CANCELLED, 'CANCELLED'],
  ])('%s', (_name, failure, code, reason) => {
    const mapped = upstreamFailureStatus(failure, context);
    expect(mapped.code).toBe(code);
    expect(mapped.details.reason).toBe(reason);
    expect(mapped.details.metadata?.['provider']).toBe('acme');
  });

  it('carries RetryInfo from retry-after and the upstream message on 429', () => {
    const mapped = upstreamFailureStatus({ kind: 'http', status: 429, message: 'slow down', headers: headers({ 'retry-after': '3' }) }, context);
    expect(mapped.details.retryDelayMs).toBe(3000);
    expect(mapped.message).toContain('slow down');
  });

  it('forwards the upstream message of a 400 but never the text of a 401 (it can echo the key)', () => {
    const rejected = upstreamFailureStatus({ kind: 'http', status: 400, message: 'max_tokens too large' }, context);
    // The caller gets the provider's words as a BadRequest detail; the status message (logs, spans) does not carry them.
    expect(rejected.details.fieldViolations).toEqual([{ field: 'request', description: 'max_tokens too large' }]);
    expect(rejected.message).not.toContain('max_tokens too large');
    expect(upstreamFailureStatus({ kind: 'http', status: 401, message: 'Incorrect API key provided: sk-abc***' }, context).message).not.toContain('sk-');
  });

  it('maps an abort after the deadline to DEADLINE_EXCEEDED, and keeps a drain failure as it is', () => {
    const now = () => 10_000;
    expect(upstreamFailureStatus({ kind: 'aborted' }, { ...context, deadline: new Date(9_999), now }).code).toBe(Status.DEADLINE_EXCEEDED);
    const controller = new AbortController();
    const drain = new ServiceFailure(Status.UNAVAILABLE, 'server shut down', { reason: 'SERVER_SHUTDOWN' });
    controller.abort(drain);
    expect(upstreamFailureStatus({ kind: 'aborted' }, { ...context, signal: controller.signal, now })).toBe(drain);
  });
});

describe('retryDelayFromHeaders', () => {
  const now = () => Date.parse('2026-01-01T00:00:00Z');
  it.each<[Record<string, string>, number | undefined]>([
    [{ 'retry-after-ms': '1500' }, 1500],
    [{ 'retry-after-ms': '250.4', 'retry-after': '9' }, 250],
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, 5000],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('%j → %s', (values, expected) => {
    expect(retryDelayFromHeaders(headers(values), now)).toBe(expected);
  });
});

describe('networkFailure', () => {
  it('recognises undici terminations and socket codes, and nothing else', () => {
    const terminated = Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET' } });
    expect(networkFailure(terminated)).toEqual({ kind: 'connection', message: 'connection lost (UND_ERR_SOCKET)' });
    expect(networkFailure(Object.assign(new Error('read'), { code: 'ECONNRESET' }))?.kind).toBe('connection');
    expect(networkFailure(new TypeError('fetch failed'))?.kind).toBe('connection');
    expect(networkFailure(new TypeError('x is not a function'))).toBeUndefined();
    expect(networkFailure('boom')).toBeUndefined();
  });
});
