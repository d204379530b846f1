import type { ApiDialect } from './api-dialect';
import { createMessageEventEncoder } from './translate/anthropic-stream';
import { messagesToRouterRequest } from './translate/anthropic-request';
import { routerResponseToAnthropicMessage } from './translate/anthropic-response';
import { anthropicErrorBody, anthropicErrorResponse } from './translate/http-failure';

/** Anthropic Messages: `POST /v1/messages`, SSE with an `event:` line on every message. */
export const messagesApi: ApiDialect = {
  name: 'anthropic',
  idPrefix: 'msg_',
  requestIdHeader: 'request-id',
  translate: messagesToRouterRequest,
  reply: routerResponseToAnthropicMessage,
  encoder(identity, options) {
    const encoder = createMessageEventEncoder({ id: identity.id, model: options.model });
    return {
      encode: (event) => encoder.encode(event).map((frame) => ({ event: frame.event, data: JSON.stringify(frame.data) })),
      get finished() {
        return encoder.finished;
      },
    };
  },
  doneFrames: [],
  errorResponse: (failure, requestId) => anthropicErrorResponse(failure, requestId),
  // `event: error` makes the Anthropic SDK throw an APIError of the body's type.
  errorFrame: (failure, requestId) => ({ event: 'error', data: JSON.stringify(anthropicErrorBody(failure, requestId)) }),
};
