import type { router } from '@switchyard/contracts';
import { openAIFinishReason, openAIUsage, reportedModel } from './openai-response';
import { switchyardExtension } from './route-summary';

/** Options of createChatChunkEncoder. */
export interface ChatChunkEncoderOptions {
  /** `chatcmpl-…`, the same on every chunk. */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  /** Model named on chunks before the final one (the announced route's model, else the one asked for). */
  readonly model: string;
  /** `stream_options.include_usage`: every chunk has `usage: null`, then a last `choices: []` chunk has the usage. */
  readonly includeUsage: boolean;
}

/** Turns router stream events into `chat.completion.chunk` objects, in order. */
export interface ChatChunkEncoder {
  /** The chunks for one router event (a role chunk comes first, before the first event's own). */
  encode(event: router.StreamGenerateResponse): Record<string, unknown>[];
  /** True once the final event has been encoded. */
  readonly finished: boolean;
}

/**
 * Creates the encoder for one stream. Tool call pieces with the same index become one OpenAI tool
 * call: its first chunk carries id, type and name; later chunks only more `arguments`. The route
 * and cost, known only at the end, ride on the last chunk as the `switchyard` field.
 */
export function createChatChunkEncoder(options: ChatChunkEncoderOptions): ChatChunkEncoder {
  let started = false;
  let finished = false;
  const announcedToolCalls = new Set<number>();
  const chunk = (model: string, choices: unknown[], usage?: Record<string, unknown>): Record<string, unknown> => {
    const body: Record<string, unknown> = { id: options.id, object: 'chat.completion.chunk', created: options.created, model, choices };
    if (options.includeUsage) body['usage'] = usage ?? null;
    return body;
  };
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => [{ index: 0, delta, logprobs: null, finish_reason: finishReason }];

  return {
    get finished() {
      return finished;
    },
    encode(event) {
      const chunks: Record<string, unknown>[] = [];
      if (!started) {
        started = true;
        chunks.push(chunk(options.model, choice({ role: 'assistant', content: '', refusal: null })));
      }
      if (event.event.case === 'delta') {
        const delta = event.event.value;
        const body: Record<string, unknown> = {};
        if (delta.text !== '') body['content'] = delta.text;
        const call = delta.toolCall;
        if (call) {
          const index = delta.toolCallIndex;
          const piece: Record<string, unknown> = { index };
          if (!announcedToolCalls.has(index)) {
            announcedToolCalls.add(index);
            piece['id'] = call.id;
            piece['type'] = 'function';
            piece['function'] = { name: call.name, arguments: call.argumentsJson };
          } else {
            piece['function'] = { arguments: call.argumentsJson };
          }
          body['tool_calls'] = [piece];
        }
        if (Object.keys(body).length > 0) chunks.push(chunk(options.model, choice(body)));
      } else if (event.event.case === 'final') {
        const final = event.event.value;
        finished = true;
        const model = reportedModel(final.responseModel, final.route, options.model);
        chunks.push(chunk(model, choice({}, openAIFinishReason(final.finishReason))));
        if (options.includeUsage) chunks.push(chunk(model, [], openAIUsage(final.usage)));
        const last = chunks[chunks.length - 1];
        if (last) last['switchyard'] = switchyardExtension(final);
      }
      return chunks;
    },
  };
}
