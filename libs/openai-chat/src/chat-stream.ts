import type { ProtoInit } from '@switchyard/provider-kit';
import type { common, provider } from '@switchyard/contracts';
import { fromChatUsage, type TokenUsageInit } from './chat-usage';
import type { ChatCompletionChunk } from './chat-wire';
import { assertChatCompletionChunkShape } from './chat-reply-shape';
import { chatFinishReason } from './finish-reason';

/** One StreamGenerateResponse ready for `create()`. */
export type StreamEventInit = ProtoInit<typeof provider.StreamGenerateResponseSchema>;

/** What a stream has shown so far: enough for the final message, or for PartialUsage after a break. */
export interface ChatStreamSummary {
  readonly responseId: string;
  readonly responseModel: string;
  readonly finishReason: common.FinishReason;
  readonly providerFinishReason: string;
  /** The upstream's usage, once its usage chunk arrived. */
  readonly usage: TokenUsageInit | undefined;
  /** Characters of text and tool-call arguments delivered as deltas. */
  readonly deliveredCharacters: number;
  /** Everything generated so far (text, tool names and arguments), for token estimates. */
  readonly outputText: string;
  /** Whether the upstream said the stream was complete (a finish reason arrived). */
  readonly finished: boolean;
}

/** Turns `chat.completion.chunk`s into our stream events, one chunk at a time. */
export interface ChatStreamTranslator {
  /** The delta events for one chunk, in order (often one, sometimes none); an UpstreamProtocolError for a chunk of the wrong shape. */
  accept(chunk: ChatCompletionChunk): StreamEventInit[];
  /** What has been seen so far. */
  summary(): ChatStreamSummary;
}

/**
 * Creates a stream translator. It keeps only what the final message needs (ids, finish reason,
 * usage, output text for estimates) and emits every delta as soon as its chunk is accepted.
 * Only choice 0 is read (we never ask for n > 1).
 */
export function createChatStreamTranslator(): ChatStreamTranslator {
  let responseId = '';
  let responseModel = '';
  let providerFinishReason = '';
  let finished = false;
  let refused = false;
  let sawContent = false;
  let usage: TokenUsageInit | undefined;
  let deliveredCharacters = 0;
  let outputText = '';
  // Servers that omit `index` on tool call pieces (some llama.cpp builds) are matched by id.
  const toolIndexById = new Map<string, number>();
  let lastToolIndex = -1;

  return {
    accept(chunk) {
      assertChatCompletionChunkShape(chunk);
      if (!responseId && chunk.id) responseId = chunk.id;
      if (!responseModel && chunk.model) responseModel = chunk.model;
      if (chunk.usage) usage = fromChatUsage(chunk.usage);
      const events: StreamEventInit[] = [];
      const choice = chunk.choices?.find((candidate) => (candidate.index ?? 0) === 0);
      if (!choice) return events;
      const delta = choice.delta ?? {};
      if (delta.content) {
        sawContent = true;
        deliveredCharacters += delta.content.length;
        outputText += delta.content;
        events.push({ event: { case: 'delta', value: { text: delta.content } } });
      }
      if (delta.refusal) {
        refused = true;
        deliveredCharacters += delta.refusal.length;
        outputText += delta.refusal;
        events.push({ event: { case: 'delta', value: { text: delta.refusal } } });
      }
      for (const piece of delta.tool_calls ?? []) {
        const index = toolIndex(piece.index, piece.id ?? undefined);
        const name = piece.function?.name ?? '';
        const argumentsDelta = piece.function?.arguments ?? '';
        deliveredCharacters += argumentsDelta.length;
        outputText += name + argumentsDelta;
        events.push({
          event: {
            case: 'delta',
            value: { toolCall: { index, id: piece.id ?? '', name, argumentsJsonDelta: argumentsDelta } },
          },
        });
      }
      if (choice.finish_reason) {
        providerFinishReason = choice.finish_reason;
        finished = true;
      }
      return events;
    },
    summary() {
      return {
        responseId,
        responseModel,
        finishReason: finished ? chatFinishReason(providerFinishReason, refused && !sawContent) : chatFinishReason(undefined),
        providerFinishReason,
        usage,
        deliveredCharacters,
        outputText,
        finished,
      };
    },
  };

  function toolIndex(index: number | undefined, id: string | undefined): number {
    if (index !== undefined && index !== null) {
      if (id) toolIndexById.set(id, index);
      lastToolIndex = index;
      return index;
    }
    if (id) {
      const known = toolIndexById.get(id);
      if (known !== undefined) return known;
      lastToolIndex = toolIndexById.size;
      toolIndexById.set(id, lastToolIndex);
    }
    return Math.max(lastToolIndex, 0);
  }
}

/** A StreamFinal ready for `create()`. */
export type StreamFinalInit = ProtoInit<typeof provider.StreamFinalSchema>;

/**
 * The final message of a stream from its summary. When the upstream reported no usage (a server
 * without `stream_options`), pass `estimatedUsage`; the final message then says so twice, in
 * `usage.estimated` and in the older `usage_estimated`.
 */
export function toStreamFinal(summary: ChatStreamSummary, estimatedUsage?: TokenUsageInit): StreamFinalInit {
  const usage = summary.usage ?? estimatedUsage;
  return {
    finishReason: summary.finishReason,
    providerFinishReason: summary.providerFinishReason,
    ...(usage ? { usage } : {}),
    usageEstimated: usage?.estimated ?? false,
    responseModel: summary.responseModel,
    responseId: summary.responseId,
  };
}
