import type { ApiDialect } from './api-dialect';
import { openAIErrorBody, openAIErrorResponse } from './translate/http-failure';
import { chatCompletionToRouterRequest } from './translate/openai-request';
import { routerResponseToChatCompletion } from './translate/openai-response';
import { createChatChunkEncoder } from './translate/openai-stream';

/** OpenAI Chat Completions: `POST /v1/chat/completions`, data-only SSE ending in `[DONE]`. */
export const chatCompletionsApi: ApiDialect = {
  name: 'openai',
  idPrefix: 'chatcmpl-',
  requestIdHeader: 'x-request-id',
  translate: chatCompletionToRouterRequest,
  reply: routerResponseToChatCompletion,
  encoder(identity, options) {
    const encoder = createChatChunkEncoder({ id: identity.id, created: identity.created, model: options.model, includeUsage: options.includeUsage });
    return {
      encode: (event) => encoder.encode(event).map((chunk) => ({ data: JSON.stringify(chunk) })),
      get finished() {
        return encoder.finished;
      },
    };
  },
  doneFrames: [{ data: '[DONE]' }],
  errorResponse: (failure) => openAIErrorResponse(failure),
  // A chunk with a top-level `error` makes the openai SDK throw an APIError.
  errorFrame: (failure) => ({ data: JSON.stringify(openAIErrorBody(failure)) }),
};
