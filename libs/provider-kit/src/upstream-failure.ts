import { status as Status } from '@grpc/grpc-js';
import { ServiceFailure } from '@switchyard/grpc-kit';

/** How an upstream exchange failed, described without any SDK's classes. Each adapter's `errors.ts` builds one. */
export type UpstreamFailure =
  /** The upstream answered with an HTTP error status. */
  | {
      kind: 'http';
      status: number;
      /** The upstream's own error message (never an API key: callers strip those). */
      message: string;
      /** The upstream's error type or code, e.g. `overloaded_error`, `insufficient_quota`. */
      type?: string;
      headers?: HeaderSource;
      /** The upstream's request id (e.g. `x-request-id`), for the operator to quote to the provider. */
      requestId?: string;
    }
  /** No answer within the adapter's upstream timeout. */
  | { kind: 'timeout' }
  /** The connection failed or was reset. */
  | { kind: 'connection'; message: string }
  /** Our own abort: the caller cancelled, or the call's deadline passed. */
  | { kind: 'aborted' }
  /** The upstream sent something that is not its protocol (malformed SSE, a body without choices). */
  | { kind: 'protocol'; message: string }
  /** The upstream reported an error inside an already started stream. */
  | { kind: 'stream_error'; message: string; type?: string };

/** Anything with `get(name)`, like the fetch `Headers` the SDKs expose. */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

/** Who the failure happened at, and the call it happened in. */
export interface UpstreamFailureContext {
  /** Provider name, e.g. `openai`. */
  provider: string;
  /** The gRPC call's signal (its reason says why it was aborted). */
  signal?: AbortSignal;
  /** The gRPC call's deadline. */
  deadline?: Date;
  /** The upstream timeout that applied, ms (for the message). */
  timeoutMs?: number;
  /** The upstream's request id, for the operator to quote to the provider. */
  upstreamRequestId?: string;
  /** Clock (default `Date.now`). */
  now?: () => number;
}

/**
 * Maps an upstream failure to the status the ProviderService contract promises: 429 →
 * RESOURCE_EXHAUSTED with RetryInfo from `retry-after`; 5xx, overload, a reset connection or a broken
 * stream → UNAVAILABLE; our provider key rejected → FAILED_PRECONDITION (not the caller's fault);
 * 400 → INVALID_ARGUMENT with the upstream's message; upstream timeout → DEADLINE_EXCEEDED.
 */
export function upstreamFailureStatus(failure: UpstreamFailure, context: UpstreamFailureContext): ServiceFailure {
  const { provider } = context;
  const metadata: Record<string, string> = { provider };
  if (context.upstreamRequestId) metadata['upstream_request_id'] = context.upstreamRequestId;
  switch (failure.kind) {
    case 'aborted': {
      const now = (context.now ?? Date.now)();
      if (context.deadline && now >= context.deadline.getTime() - 5) {
        return new ServiceFailure(Status.DEADLINE_EXCEEDED, `the call's deadline passed while ${provider} was answering`, {
          reason: 'DEADLINE_EXCEEDED',
          metadata,
        });
      }
      const reason: unknown = context.signal?.reason;
      if (reason instanceof ServiceFailure) return reason;
      return new ServiceFailure(Status.CANCELLED, 'call cancelled', { reason: 'CANCELLED', metadata });
    }
    case 'timeout':
      return new ServiceFailure(
        Status.DEADLINE_EXCEEDED,
        `${provider} did not answer within ${context.timeoutMs ?? '?'} ms`,
        { reason: 'UPSTREAM_TIMEOUT', metadata },
      );
    case 'connection':
      return new ServiceFailure(Status.UNAVAILABLE, `cannot reach ${provider}: ${failure.message}`, {
        reason: 'UPSTREAM_UNREACHABLE',
        metadata,
      });
    case 'protocol':
      return new ServiceFailure(Status.UNAVAILABLE, `${provider} sent an invalid response: ${failure.message}`, {
        reason: 'UPSTREAM_PROTOCOL_ERROR',
        metadata,
      });
    case 'stream_error': {
      if (failure.type) metadata['upstream_error_type'] = failure.type;
      return new ServiceFailure(Status.UNAVAILABLE, `${provider} reported an error mid-stream: ${failure.message}`, {
        reason: isOverloadType(failure.type) ? 'UPSTREAM_OVERLOADED' : 'UPSTREAM_STREAM_ERROR',
        metadata,
      });
    }
    case 'http':
      return httpFailure(failure, metadata, context);
  }
}

function httpFailure(
  failure: Extract<UpstreamFailure, { kind: 'http' }>,
  metadata: Record<string, string>,
  context: UpstreamFailureContext,
): ServiceFailure {
  const { provider } = context;
  const { status } = failure;
  metadata['upstream_status'] = String(status);
  if (failure.requestId) metadata['upstream_request_id'] = failure.requestId;
  if (failure.type) metadata['upstream_error_type'] = failure.type;
  const upstreamMessage = failure.message || `HTTP ${status}`;
  if (status === 429) {
    if (failure.type === 'insufficient_quota') {
      // The account is out of credit: waiting does not help, so no RetryInfo.
      return new ServiceFailure(Status.RESOURCE_EXHAUSTED, `${provider} account quota exhausted: ${upstreamMessage}`, {
        reason: 'UPSTREAM_QUOTA_EXHAUSTED',
        metadata,
        quotaViolations: [{ subject: provider, description: upstreamMessage }],
      });
    }
    const retryDelayMs = retryDelayFromHeaders(failure.headers, context.now);
    return new ServiceFailure(Status.RESOURCE_EXHAUSTED, `${provider} rate limit: ${upstreamMessage}`, {
      reason: 'UPSTREAM_RATE_LIMITED',
      metadata,
      quotaViolations: [{ subject: provider, description: upstreamMessage }],
      ...(retryDelayMs !== undefined ? { retryDelayMs } : {}),
    });
  }
  if (status === 401) {
    // The upstream's 401 message can echo part of the key, so it is not forwarded.
    return new ServiceFailure(
      Status.FAILED_PRECONDITION,
      `the adapter's ${provider} API key was rejected (HTTP 401); the operator must fix the deployment's key`,
      { reason: 'PROVIDER_KEY_REJECTED', metadata },
    );
  }
  if (status === 402 || status === 403) {
    return new ServiceFailure(
      Status.FAILED_PRECONDITION,
      `${provider} refused the adapter's account (HTTP ${status}): ${upstreamMessage}`,
      { reason: status === 402 ? 'PROVIDER_BILLING' : 'PROVIDER_PERMISSION_DENIED', metadata },
    );
  }
  if (status === 404) {
    return new ServiceFailure(
      Status.FAILED_PRECONDITION,
      `${provider} does not know the requested model or endpoint (HTTP 404): ${upstreamMessage}; check the deployment's config`,
      { reason: 'UPSTREAM_NOT_FOUND', metadata },
    );
  }
  if (status === 408 || status === 504) {
    return new ServiceFailure(Status.DEADLINE_EXCEEDED, `${provider} timed out (HTTP ${status}): ${upstreamMessage}`, {
      reason: 'UPSTREAM_TIMEOUT',
      metadata,
    });
  }
  if (status >= 500 || status === 409 || status === 499) {
    const overloaded = status === 529 || isOverloadType(failure.type) || /overload/i.test(upstreamMessage);
    return new ServiceFailure(Status.UNAVAILABLE, `${provider} is unavailable (HTTP ${status}): ${upstreamMessage}`, {
      reason: overloaded ? 'UPSTREAM_OVERLOADED' : 'UPSTREAM_UNAVAILABLE',
      metadata,
    });
  }
  // Providers quote the offending input in these messages ("Invalid 'messages[0].content': ..."). The
  // words travel only as a BadRequest detail: status messages end up in logs and in every span along
  // the way (gRPC instrumentation, exception events), details do not.
  return new ServiceFailure(Status.INVALID_ARGUMENT, `${provider} rejected the request (HTTP ${status}); its reason is in the BadRequest detail`, {
    reason: 'UPSTREAM_REJECTED_REQUEST',
    metadata,
    fieldViolations: [{ field: 'request', description: upstreamMessage }],
  });
}

function isOverloadType(type: string | undefined): boolean {
  return type === 'overloaded_error' || type === 'overloaded';
}

/**
 * How long the upstream asked us to wait, ms: `retry-after-ms` (OpenAI), else `retry-after` in
 * seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function retryDelayFromHeaders(headers: HeaderSource | undefined, now: () => number = Date.now): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now()) : undefined;
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Recognises a lost connection that surfaced outside the SDK's own error classes, e.g. undici's
 * `TypeError: terminated` when the upstream closes a stream mid-body. Undefined for anything else.
 */
export function networkFailure(error: unknown): UpstreamFailure | undefined {
  // Duck-typed: errors from Node's own fetch may come from another realm (e.g. under jest), where instanceof fails.
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message, code, cause } = error as { name?: unknown; message?: unknown; code?: unknown; cause?: { code?: unknown } };
  const errorCode = code ?? cause?.code;
  if (typeof errorCode === 'string' && CONNECTION_ERROR_CODES.has(errorCode)) {
    return { kind: 'connection', message: `connection lost (${errorCode})` };
  }
  if (name === 'TypeError' && (message === 'terminated' || message === 'fetch failed')) {
    return { kind: 'connection', message: `connection lost (${message})` };
  }
  return undefined;
}
