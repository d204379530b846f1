import { create } from '@bufbuild/protobuf';
import { Metadata, status } from '@grpc/grpc-js';
import { rpc } from '@switchyard/contracts';
import { encodeStatusDetails, STATUS_DETAILS_KEY, SwitchyardError, decodeStatusDetails } from '@switchyard/sdk';
import { EdgeRequestError } from './edge-request-error';
import { anthropicErrorResponse, httpFailureOf, openAIErrorResponse } from './http-failure';

/** A SwitchyardError as the router's harness sends it: ErrorInfo, plus RetryInfo/BadRequest when given. */
function routerError(code: status, message: string, extra: { reason?: string; retryMs?: number; field?: string; description?: string } = {}): SwitchyardError {
  const details = [create(rpc.ErrorInfoSchema, { reason: extra.reason ?? 'X', domain: 'router.switchyard.dev' })];
  if (extra.retryMs !== undefined) details.push(create(rpc.RetryInfoSchema, { retryDelay: { seconds: BigInt(Math.floor(extra.retryMs / 1000)), nanos: (extra.retryMs % 1000) * 1e6 } }) as never);
  if (extra.field) details.push(create(rpc.BadRequestSchema, { fieldViolations: [{ field: extra.field, description: extra.description ?? 'bad' }] }) as never);
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(code, message, details));
  return new SwitchyardError(code, message, decodeStatusDetails(metadata), metadata);
}

describe('httpFailureOf: gRPC status → HTTP status and each API error type', () => {
  it("shows an HTTP caller the provider's own words about a rejected request (they travel as a BadRequest detail)", () => {
    const failure = httpFailureOf(
      routerError(status.INVALID_ARGUMENT, 'the model rejected the request: openai rejected the request (HTTP 400); its reason is in the BadRequest detail', {
        reason: 'UPSTREAM_REJECTED_REQUEST',
        field: 'request',
        description: "Invalid 'max_tokens': too large",
      }),
    );
    expect(failure.message).toBe("the model rejected the request: openai rejected the request (HTTP 400): Invalid 'max_tokens': too large");
    expect(failure.field).toBe('request');
  });

  it.each([
    [status.INVALID_ARGUMENT, 400, 'invalid_request_error', 'invalid_request_error'],
    [status.UNAUTHENTICATED, 401, 'authentication_error', 'authentication_error'],
    [status.PERMISSION_DENIED, 403, 'permission_error', 'permission_error'],
    [status.NOT_FOUND, 404, 'invalid_request_error', 'not_found_error'],
    [status.ALREADY_EXISTS, 409, 'invalid_request_error', 'invalid_request_error'],
    [status.RESOURCE_EXHAUSTED, 429, 'rate_limit_error', 'rate_limit_error'],
    [status.UNAVAILABLE, 503, 'server_error', 'overloaded_error'],
    [status.DEADLINE_EXCEEDED, 504, 'server_error', 'api_error'],
    [status.INTERNAL, 500, 'server_error', 'api_error'],
    [status.FAILED_PRECONDITION, 500, 'server_error', 'api_error'],
    [status.UNKNOWN, 500, 'server_error', 'api_error'],
  ])('code %i → %i (%s / %s)', (code, httpStatus, openaiType, anthropicType) => {
    const failure = httpFailureOf(routerError(code, 'router says why'));
    expect(failure.status).toBe(httpStatus);
    expect(failure.message).toBe('router says why');
    const openai = openAIErrorResponse(failure);
    expect(openai.status).toBe(httpStatus);
    expect(openai.body).toMatchObject({ error: { message: 'router says why', type: openaiType, code: 'x' } });
    const anthropic = anthropicErrorResponse(failure, 'req-1');
    expect(anthropic.body).toEqual({ type: 'error', error: { type: anthropicType, message: 'router says why' }, request_id: 'req-1' });
  });

  it('carries RetryInfo as retry-after headers and allows a retry', () => {
    const failure = httpFailureOf(routerError(status.RESOURCE_EXHAUSTED, 'slow down', { reason: 'UPSTREAM_RATE_LIMITED', retryMs: 1500 }));
    expect(openAIErrorResponse(failure).headers).toEqual({ 'retry-after': '2', 'retry-after-ms': '1500', 'x-should-retry': 'true' });
  });

  it('marks a spent budget insufficient_quota and not retryable', () => {
    const failure = httpFailureOf(routerError(status.RESOURCE_EXHAUSTED, 'budget spent', { reason: 'BUDGET_EXHAUSTED' }));
    const response = openAIErrorResponse(failure);
    expect(response.headers['x-should-retry']).toBe('false');
    expect(response.body).toMatchObject({ error: { type: 'insufficient_quota', code: 'budget_exhausted' } });
  });

  it('names the BadRequest field as OpenAI param', () => {
    const failure = httpFailureOf(routerError(status.INVALID_ARGUMENT, 'messages[0].role: must be set', { field: 'messages[0].role' }));
    expect(openAIErrorResponse(failure).body).toMatchObject({ error: { param: 'messages[0].role' } });
  });

  it('hides grpc-js transport text (addresses) when the router never answered', () => {
    const transport = new SwitchyardError(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 10.0.0.7:50051');
    const failure = httpFailureOf(transport);
    expect(failure.status).toBe(503);
    expect(failure.message).not.toContain('10.0.0.7');
    expect(failure.retryable).toBe(true);
  });

  it('maps edge request problems and unknown errors', () => {
    expect(httpFailureOf(new EdgeRequestError('too big', undefined, 'too_large'))).toMatchObject({ status: 413, retryable: false });
    expect(anthropicErrorResponse(httpFailureOf(new EdgeRequestError('too big', undefined, 'too_large'))).body).toMatchObject({ error: { type: 'request_too_large' } });
    expect(httpFailureOf(new EdgeRequestError('x', 'model'))).toMatchObject({ status: 400, field: 'model' });
    expect(httpFailureOf(new TypeError('secret'))).toEqual({ status: 500, message: 'internal error', reason: 'INTERNAL', retryable: false });
  });
});
