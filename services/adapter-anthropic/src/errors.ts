import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { networkFailure, type UpstreamFailure } from '@switchyard/provider-kit';

/**
 * Describes an error thrown by `@anthropic-ai/sdk` (or by the connection under it) in
 * provider-neutral terms; `@switchyard/provider-kit`'s `upstreamFailureStatus` turns that into the
 * contract's gRPC status (429 → RESOURCE_EXHAUSTED, 529 overloaded → UNAVAILABLE, 401 →
 * FAILED_PRECONDITION...). Undefined for errors that did not come from the upstream exchange.
 */
export function describeAnthropicError(error: unknown): UpstreamFailure | undefined {
  if (error instanceof APIUserAbortError) return { kind: 'aborted' };
  if (error instanceof APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof APIConnectionError) return networkFailure(error.cause) ?? { kind: 'connection', message: error.message };
  if (error instanceof APIError) {
    const message = error.apiMessage ?? error.message;
    const type = error.type ?? error.errorCode ?? undefined;
    // A status-less APIError is an `event: error` inside an already started stream (e.g. overloaded_error).
    if (error.status === undefined) return { kind: 'stream_error', message, type };
    return { kind: 'http', status: error.status, message, type, headers: error.headers, requestId: error.requestID ?? undefined };
  }
  if ((error as { name?: unknown } | null)?.name === 'SyntaxError') return { kind: 'protocol', message: 'an event of the stream is not valid JSON' };
  return networkFailure(error);
}
