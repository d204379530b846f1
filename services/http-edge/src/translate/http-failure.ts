import { status as GrpcStatus } from '@grpc/grpc-js';
import { SwitchyardError } from '@switchyard/sdk';
import { EdgeRequestError } from './edge-request-error';

/** A failure on its way to an HTTP caller, before it is put in an API's own error shape. */
export interface HttpFailure {
  readonly status: number;
  /** A message a person can act on (never internals such as addresses or stack traces). */
  readonly message: string;
  /** ErrorInfo.reason, UPPER_SNAKE (`BUDGET_EXHAUSTED`), or the edge's own. */
  readonly reason?: string;
  /** The offending field, when one is known. */
  readonly field?: string;
  /** RetryInfo: how long to wait before retrying, ms. */
  readonly retryAfterMs?: number;
  /** Whether an SDK should retry this on its own (sent as `x-should-retry`). */
  readonly retryable: boolean;
  /** The gRPC code name, when the failure came from the router. */
  readonly grpcCode?: string;
}

/** HTTP status for each gRPC status the router can return; anything else is 500. */
export const HTTP_STATUS_BY_GRPC_CODE: Readonly<Partial<Record<GrpcStatus, number>>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  // nginx's "client closed request": only ever logged, the caller is gone.
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
};

// Messages for failures grpc-js raised itself (no ErrorInfo from the router): its text names addresses.
const TRANSPORT_MESSAGES: Partial<Record<GrpcStatus, string>> = {
  [GrpcStatus.UNAVAILABLE]: 'The Switchyard router is not reachable right now; retry shortly.',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'The request did not finish before its deadline.',
  [GrpcStatus.CANCELLED]: 'The request was cancelled.',
};

const EDGE_STATUS = { invalid_request: 400, too_large: 413, not_found: 404, method_not_allowed: 405 } as const;

/**
 * The one place a failure becomes an HTTP status: router errors by their gRPC code (with the
 * router's message, BadRequest field and RetryInfo), the edge's own request errors as 4xx, and
 * anything else as a 500 that says nothing about internals.
 */
export function httpFailureOf(error: unknown): HttpFailure {
  if (error instanceof EdgeRequestError) {
    return { status: EDGE_STATUS[error.problem], message: error.message, field: error.field, reason: error.problem.toUpperCase(), retryable: false };
  }
  if (error instanceof SwitchyardError) {
    const status = HTTP_STATUS_BY_GRPC_CODE[error.code] ?? 500;
    const fromRouter = error.details.errorInfo !== undefined;
    let message = fromRouter ? error.message : (TRANSPORT_MESSAGES[error.code] ?? 'The Switchyard router failed to answer.');
    // A provider's own words about a rejected request travel as a BadRequest detail (they may quote
    // the prompt, so they stay out of status messages, logs and spans); the HTTP caller reads them here.
    const providerWords = error.reason === 'UPSTREAM_REJECTED_REQUEST' ? error.details.badRequest?.fieldViolations.find((v) => v.field === 'request')?.description : undefined;
    if (providerWords) message = `${message.replace(/; its reason is in the BadRequest detail$/, '')}: ${providerWords}`;
    const retryAfterMs = error.retryDelayMs;
    return {
      status,
      message,
      reason: error.reason,
      field: error.details.badRequest?.fieldViolations[0]?.field,
      retryAfterMs,
      // Only these are worth an automatic retry: the router has already tried every fallback otherwise.
      retryable: status === 503 || (status === 429 && retryAfterMs !== undefined),
      grpcCode: error.codeName,
    };
  }
  return { status: 500, message: 'internal error', reason: 'INTERNAL', retryable: false };
}

/** Retry headers both SDKs honour: `retry-after` (seconds), `retry-after-ms`, `x-should-retry`. */
export function retryHeaders(failure: HttpFailure): Record<string, string> {
  const headers: Record<string, string> = { 'x-should-retry': String(failure.retryable) };
  if (failure.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(0, Math.ceil(failure.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.max(0, Math.round(failure.retryAfterMs)));
  }
  return headers;
}

/** An error response ready to send. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

/** OpenAI's `{"error": {message, type, param, code}}` for a failure. */
export function openAIErrorBody(failure: HttpFailure): Record<string, unknown> {
  return {
    error: {
      message: failure.message,
      type: openAIErrorType(failure),
      param: failure.field ?? null,
      code: failure.reason ? failure.reason.toLowerCase() : null,
    },
  };
}

/** The OpenAI error response: status, retry headers, body. */
export function openAIErrorResponse(failure: HttpFailure): ErrorResponse {
  return { status: failure.status, headers: retryHeaders(failure), body: openAIErrorBody(failure) };
}

function openAIErrorType(failure: HttpFailure): string {
  switch (failure.status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 429:
      return /BUDGET|QUOTA/.test(failure.reason ?? '') ? 'insufficient_quota' : 'rate_limit_error';
    default:
      return failure.status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

/** Anthropic's `{"type": "error", "error": {type, message}}` for a failure. */
export function anthropicErrorBody(failure: HttpFailure, requestId?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { type: 'error', error: { type: anthropicErrorType(failure.status), message: failure.message } };
  if (requestId) body['request_id'] = requestId;
  return body;
}

/** The Anthropic error response: status, retry headers, body. */
export function anthropicErrorResponse(failure: HttpFailure, requestId?: string): ErrorResponse {
  return { status: failure.status, headers: retryHeaders(failure), body: anthropicErrorBody(failure, requestId) };
}

function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}
