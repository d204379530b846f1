import type { common, provider } from '@switchyard/contracts';
import type { ProtoInit } from '@switchyard/provider-kit';
import { anthropicFinishReason } from './finish-reason';
import { assertAnthropicStreamEventShape } from './reply-shape';
import { fromAnthropicUsage, type AnthropicUsage } from './usage';

/** One StreamGenerateResponse ready for `create()`. */
export type StreamEventInit = ProtoInit<typeof provider.StreamGenerateResponseSchema>;
/** A StreamFinal ready for `create()`. */
export type StreamFinalInit = ProtoInit<typeof provider.StreamFinalSchema>;

/** The Messages stream events the translator reads (the SDK's `RawMessageStreamEvent`, structurally). */
export type AnthropicStreamEvent =
  | { type: 'message_start'; message: { id: string; model: string; usage: AnthropicUsage } }
  | { type: 'content_block_start'; index: number; content_block: { type: string; text?: string; id?: string; name?: string } }
  | { type: 'content_block_delta'; index: number; delta: { type: string; text?: string; partial_json?: string } }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason?: string | null; stop_sequence?: string | null }; usage: AnthropicUsage }
  | { type: 'message_stop' }
  | { type: 'ping' };

/** What a stream has shown so far. */
export interface MessageStreamSummary {
  readonly responseId: string;
  readonly responseModel: string;
  readonly finishReason: common.FinishReason;
  readonly providerFinishReason: string;
  /** The stop sequence that ended the output, when the message_delta named one. */
  readonly stopSequence: string;
  /** Usage as last reported (message_start, then each message_delta's cumulative counts). */
  readonly usage: ProtoInit<typeof common.TokenUsageSchema> | undefined;
  /** Whether a message_delta has reported output usage (message_start's output count is a placeholder). */
  readonly outputUsageReported: boolean;
  readonly deliveredCharacters: number;
  /** Text, tool names and arguments generated so far (for estimates after a break). */
  readonly outputText: string;
  /** `message_stop` arrived. */
  readonly finished: boolean;
}

/** Turns Messages stream events into our stream events, one at a time. */
export interface MessageStreamTranslator {
  accept(event: AnthropicStreamEvent | { type: string }): StreamEventInit[];
  summary(): MessageStreamSummary;
}

/**
 * Creates a stream translator. Tool calls are numbered 0, 1, ... in the order their `tool_use`
 * blocks start (Anthropic's block index counts text blocks too). A tool call whose input streamed
 * no JSON at all gets `{}`, so joined arguments are always valid JSON.
 */
export function createMessageStreamTranslator(): MessageStreamTranslator {
  let responseId = '';
  let responseModel = '';
  let stopReason = '';
  let stopSequence = '';
  let finished = false;
  let rawUsage: AnthropicUsage | undefined;
  let outputUsageReported = false;
  let deliveredCharacters = 0;
  let outputText = '';
  const toolByBlock = new Map<number, { index: number; sawJson: boolean }>();

  const delta = (value: ProtoInit<typeof provider.DeltaSchema>): StreamEventInit => ({ event: { case: 'delta', value } });

  return {
    accept(raw) {
      assertAnthropicStreamEventShape(raw);
      const event = raw as AnthropicStreamEvent;
      switch (event.type) {
        case 'message_start':
          responseId = event.message.id ?? '';
          responseModel = event.message.model ?? '';
          rawUsage = { ...event.message.usage };
          return [];
        case 'content_block_start': {
          const block = event.content_block;
          if (block.type === 'text' && block.text) {
            deliveredCharacters += block.text.length;
            outputText += block.text;
            return [delta({ text: block.text })];
          }
          if (block.type === 'tool_use') {
            const index = toolByBlock.size;
            toolByBlock.set(event.index, { index, sawJson: false });
            outputText += block.name ?? '';
            return [delta({ toolCall: { index, id: block.id ?? '', name: block.name ?? '' } })];
          }
          return [];
        }
        case 'content_block_delta': {
          const piece = event.delta;
          if (piece.type === 'text_delta' && piece.text) {
            deliveredCharacters += piece.text.length;
            outputText += piece.text;
            return [delta({ text: piece.text })];
          }
          const tool = toolByBlock.get(event.index);
          if (piece.type === 'input_json_delta' && tool && piece.partial_json) {
            tool.sawJson = true;
            deliveredCharacters += piece.partial_json.length;
            outputText += piece.partial_json;
            return [delta({ toolCall: { index: tool.index, argumentsJsonDelta: piece.partial_json } })];
          }
          return [];
        }
        case 'content_block_stop': {
          const tool = toolByBlock.get(event.index);
          if (tool && !tool.sawJson) {
            tool.sawJson = true;
            deliveredCharacters += 2;
            return [delta({ toolCall: { index: tool.index, argumentsJsonDelta: '{}' } })];
          }
          return [];
        }
        case 'message_delta': {
          if (event.delta?.stop_reason) stopReason = event.delta.stop_reason;
          if (event.delta?.stop_sequence) stopSequence = event.delta.stop_sequence;
          // message_delta usage is cumulative; null fields keep what message_start said.
          const next: AnthropicUsage = { ...rawUsage };
          for (const [key, value] of Object.entries(event.usage ?? {})) {
            if (value !== null && value !== undefined) (next as Record<string, unknown>)[key] = value;
          }
          rawUsage = next;
          outputUsageReported = true;
          return [];
        }
        case 'message_stop':
          finished = true;
          return [];
        default:
          return [];
      }
    },
    summary() {
      return {
        responseId,
        responseModel,
        finishReason: anthropicFinishReason(stopReason || undefined),
        providerFinishReason: stopReason,
        stopSequence,
        usage: rawUsage ? fromAnthropicUsage(rawUsage) : undefined,
        outputUsageReported,
        deliveredCharacters,
        outputText,
        finished,
      };
    },
  };
}

/**
 * The final message of a completed stream. `usage` replaces the summary's when the adapter had to
 * estimate part of it (an upstream that sent no `message_delta` usage); it then says `estimated`.
 */
export function toStreamFinal(summary: MessageStreamSummary, usage = summary.usage): StreamFinalInit {
  return {
    finishReason: summary.finishReason,
    providerFinishReason: summary.providerFinishReason,
    stopSequence: summary.stopSequence,
    ...(usage ? { usage } : {}),
    usageEstimated: usage?.estimated ?? false,
    responseModel: summary.responseModel,
    responseId: summary.responseId,
  };
}
