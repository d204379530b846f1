import type { ApiDialect } from './api-dialect';
import { openAIErrorBody, openAIErrorResponse } from './translate/http-failure';
import { responsesToRouterRequest } from './translate/responses-request';
import { routerResponseToResponse } from './translate/responses-response';
import { createResponseEventEncoder } from './translate/responses-stream';

/**
 * OpenAI Responses: `POST /v1/responses`, stateless (no stored responses), named SSE events with
 * `sequence_number`. Errors have the same `{"error": {...}}` shape and statuses as Chat Completions.
 */
export const responsesApi: ApiDialect = {
  name: 'openai',
  idPrefix: 'resp_',
  requestIdHeader: 'x-request-id',
  translate: responsesToRouterRequest,
  reply: routerResponseToResponse,
  encoder: (identity, options) => createResponseEventEncoder(identity, options.model),
  doneFrames: [],
  errorResponse: (failure) => openAIErrorResponse(failure),
  // Only reached when a stream fails before its encoder exists; the encoder's own failure frames come first.
  errorFrame: (failure) => ({ event: 'error', data: JSON.stringify({ type: 'error', sequence_number: 0, ...openAIErrorBody(failure) }) }),
};
