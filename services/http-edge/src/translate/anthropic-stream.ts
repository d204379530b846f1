import type { router } from '@switchyard/contracts';
import { anthropicStopReason, anthropicUsage } from './anthropic-response';
import { switchyardExtension } from './route-summary';

/** One server-sent event of a Messages stream: Anthropic's SDK needs the `event:` line. */
export interface AnthropicSseEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Options of createMessageEventEncoder. */
export interface MessageEventEncoderOptions {
  /** `msg_…`. */
  readonly id: string;
  /** Model named in `message_start` (the announced route's model, else the one asked for). */
  readonly model: string;
}

/** Turns router stream events into the Messages event sequence. */
export interface MessageEventEncoder {
  /** The events for one router event (`message_start` and `ping` come before the first). */
  encode(event: router.StreamGenerateResponse): AnthropicSseEvent[];
  /** True once the final event has been encoded. */
  readonly finished: boolean;
}

/**
 * Creates the encoder for one stream: `message_start` → `ping` → per block `content_block_start` →
 * `content_block_delta`* → `content_block_stop` → `message_delta` (stop reason, full usage, and the
 * route and cost in the `switchyard` field) → `message_stop`. Anthropic blocks cannot interleave, so
 * a delta of another kind closes the open block; input tokens, unknown at the start, are sent in
 * `message_delta` (the SDK overwrites the count from `message_start`).
 */
export function createMessageEventEncoder(options: MessageEventEncoderOptions): MessageEventEncoder {
  let started = false;
  let finished = false;
  let nextIndex = 0;
  let open: { index: number; kind: 'text' } | { index: number; kind: 'tool'; toolIndex: number } | undefined;
  const event = (type: string, body: Record<string, unknown>): AnthropicSseEvent => ({ event: type, data: { type, ...body } });
  const close = (events: AnthropicSseEvent[]) => {
    if (!open) return;
    events.push(event('content_block_stop', { index: open.index }));
    open = undefined;
  };

  return {
    get finished() {
      return finished;
    },
    encode(streamEvent) {
      const events: AnthropicSseEvent[] = [];
      if (!started) {
        started = true;
        events.push(
          event('message_start', {
            message: {
              id: options.id,
              type: 'message',
              role: 'assistant',
              model: options.model,
              content: [],
              stop_reason: null,
              stop_sequence: null,
              usage: { input_tokens: 0, output_tokens: 0 },
            },
          }),
          event('ping', {}),
        );
      }
      if (streamEvent.event.case === 'delta') {
        const delta = streamEvent.event.value;
        if (delta.text !== '') {
          if (open?.kind !== 'text') {
            close(events);
            open = { index: nextIndex++, kind: 'text' };
            events.push(event('content_block_start', { index: open.index, content_block: { type: 'text', text: '' } }));
          }
          events.push(event('content_block_delta', { index: open.index, delta: { type: 'text_delta', text: delta.text } }));
        }
        const call = delta.toolCall;
        if (call) {
          if (open?.kind !== 'tool' || open.toolIndex !== delta.toolCallIndex) {
            close(events);
            open = { index: nextIndex++, kind: 'tool', toolIndex: delta.toolCallIndex };
            events.push(event('content_block_start', { index: open.index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } }));
          }
          if (call.argumentsJson !== '') {
            events.push(event('content_block_delta', { index: open.index, delta: { type: 'input_json_delta', partial_json: call.argumentsJson } }));
          }
        }
      } else if (streamEvent.event.case === 'final') {
        const final = streamEvent.event.value;
        finished = true;
        close(events);
        if (nextIndex === 0) {
          // An empty reply still has one (empty) text block, as Anthropic's own streams do.
          events.push(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }), event('content_block_stop', { index: 0 }));
          nextIndex = 1;
        }
        events.push(
          event('message_delta', {
            delta: { stop_reason: anthropicStopReason(final.finishReason, final.stopSequence), stop_sequence: final.stopSequence || null },
            usage: anthropicUsage(final.usage),
            switchyard: switchyardExtension(final),
          }),
          event('message_stop', {}),
        );
      }
      return events;
    },
  };
}
