import { composeFakeReply } from '../fake-reply';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions, type UpstreamDialect } from '../fake-upstream';
import {
  MALFORMED_ANTHROPIC_EVENT,
  anthropicError,
  parseMessagesRequest,
  renderMessage,
  renderMessageEvents,
  renderModelInfo,
  renderModelPage,
} from './anthropic-wire';

/** Options of the fake Anthropic upstream. */
export type FakeAnthropicOptions = FakeUpstreamOptions;

/** Models listed when `options.models` is not given. */
export const DEFAULT_ANTHROPIC_MODELS: readonly string[] = ['claude-sonnet-4-6', 'claude-haiku-4-5'];

/** The Anthropic wire: Messages (unary and streamed), token counting, models; `x-api-key` or Bearer auth. */
export const anthropicDialect: UpstreamDialect = {
  provider: 'anthropic',
  basePath: '',
  requestIdHeader: 'request-id',
  malformedEvent: MALFORMED_ANTHROPIC_EVENT,
  isAuthorized: (headers, apiKey) =>
    headers['x-api-key'] === apiKey || headers.authorization?.replace(/^bearer\s+/i, '') === apiKey,
  errorResponse: anthropicError,
  route(method, path, body, context) {
    const models = context.options.models ?? DEFAULT_ANTHROPIC_MODELS;
    if (method === 'GET' && path === '/v1/models') return { type: 'json', body: renderModelPage(models) };
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      return models.includes(id) ? { type: 'json', body: renderModelInfo(id) } : { type: 'not_found' };
    }
    if (method === 'POST' && path === '/v1/messages/count_tokens') {
      const parsed = parseMessagesRequest(body, false);
      return 'error' in parsed
        ? { type: 'invalid', message: parsed.error }
        : { type: 'json', body: { input_tokens: parsed.inputTokens } };
    }
    if (method !== 'POST' || path !== '/v1/messages') return { type: 'not_found' };

    const parsed = parseMessagesRequest(body);
    if ('error' in parsed) return { type: 'invalid', message: parsed.error };
    const { request, inputTokens } = parsed;
    return {
      type: 'generation',
      model: request.model,
      render: () => {
        const reply = composeFakeReply(request, {
          respond: context.options.respond,
          replay: context.options.replay,
          toolCallIdPrefix: 'toolu_',
        });
        const identity = { id: context.nextId('msg_'), model: request.model };
        return request.stream
          ? {
              kind: 'events',
              events: renderMessageEvents(identity, inputTokens, reply, { wordsPerChunk: context.options.wordsPerChunk ?? 1 }),
            }
          : { kind: 'json', body: renderMessage(identity, inputTokens, reply) };
      },
    };
  },
};

/**
 * Starts a fake Anthropic upstream on loopback that `new Anthropic({ baseURL: fake.baseURL, apiKey: fake.apiKey })`
 * accepts: `POST /v1/messages` (unary and streamed), `POST /v1/messages/count_tokens`, `GET /v1/models[/{id}]`,
 * with scriptable faults.
 */
export function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeUpstream> {
  return startFakeUpstream(anthropicDialect, options);
}
