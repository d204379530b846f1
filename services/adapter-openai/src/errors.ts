import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { networkFailure, type UpstreamFailure } from '@switchyard/provider-kit';

/**
 * Describes an error thrown by the `openai` SDK (or by the connection under it) in provider-neutral
 * terms; `@switchyard/provider-kit`'s `upstreamFailureStatus` turns that into the contract's gRPC
 * status. Undefined for errors that did not come from the upstream exchange (bugs stay INTERNAL).
 */
export function describeOpenAIError(error: unknown): UpstreamFailure | undefined {
  if (error instanceof APIUserAbortError) return { kind: 'aborted' };
  if (error instanceof APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof APIConnectionError) return networkFailure(error.cause) ?? { kind: 'connection', message: error.message };
  if (error instanceof APIError) {
    const body = error.error as { message?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : error.message;
    const type = (typeof error.code === 'string' ? error.code : undefined) ?? error.type ?? undefined;
    // A status-less APIError is an `error` object inside an already started event stream.
    if (error.status === undefined) return { kind: 'stream_error', message, type };
    return { kind: 'http', status: error.status, message, type, headers: error.headers, requestId: error.requestID ?? undefined };
  }
  if ((error as { name?: unknown } | null)?.name === 'SyntaxError') return { kind: 'protocol', message: 'an event of the stream is not valid JSON' };
  return networkFailure(error);
}
