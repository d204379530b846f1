import { composeFakeReply } from '../fake-reply';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions, type UpstreamDialect } from '../fake-upstream';
import {
  MALFORMED_OPENAI_EVENT,
  openAIError,
  parseChatCompletionRequest,
  renderChatCompletion,
  renderChatCompletionChunks,
  renderModel,
  renderModelList,
} from './openai-wire';

/** Options of the fake OpenAI upstream. */
export type FakeOpenAIOptions = FakeUpstreamOptions;

/** Models listed when `options.models` is not given. */
export const DEFAULT_OPENAI_MODELS: readonly string[] = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-mini'];

const MODELS_CREATED_SECONDS = 1_700_000_000;

/** The OpenAI wire: Chat Completions (unary and streamed) and the models list, Bearer auth. */
export const openAIDialect: UpstreamDialect = {
  provider: 'openai',
  basePath: '/v1',
  requestIdHeader: 'x-request-id',
  malformedEvent: MALFORMED_OPENAI_EVENT,
  isAuthorized: (headers, apiKey) => headers.authorization?.replace(/^bearer\s+/i, '') === apiKey,
  errorResponse: openAIError,
  route(method, path, body, context) {
    const models = context.options.models ?? DEFAULT_OPENAI_MODELS;
    if (method === 'GET' && path === '/v1/models') return { type: 'json', body: renderModelList(models, MODELS_CREATED_SECONDS) };
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      return models.includes(id) ? { type: 'json', body: renderModel(id, MODELS_CREATED_SECONDS) } : { type: 'not_found' };
    }
    if (method !== 'POST' || path !== '/v1/chat/completions') return { type: 'not_found' };

    const parsed = parseChatCompletionRequest(body);
    if ('error' in parsed) return { type: 'invalid', message: parsed.error };
    const { request, includeUsage, promptTokens } = parsed;
    return {
      type: 'generation',
      model: request.model,
      render: () => {
        const reply = composeFakeReply(request, {
          respond: context.options.respond,
          replay: context.options.replay,
          toolCallIdPrefix: 'call_',
        });
        const identity = {
          id: context.nextId('chatcmpl-'),
          created: Math.floor(context.now() / 1000),
          model: request.model,
        };
        return request.stream
          ? {
              kind: 'events',
              events: renderChatCompletionChunks(identity, promptTokens, reply, {
                includeUsage,
                wordsPerChunk: context.options.wordsPerChunk ?? 1,
              }),
            }
          : { kind: 'json', body: renderChatCompletion(identity, promptTokens, reply) };
      },
    };
  },
};

/**
 * Starts a fake OpenAI upstream on loopback that `new OpenAI({ baseURL: fake.baseURL, apiKey: fake.apiKey })`
 * accepts: `POST /v1/chat/completions` (unary and streamed), `GET /v1/models[/{id}]`, with scriptable faults.
 */
export function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeUpstream> {
  return startFakeUpstream(openAIDialect, options);
}
