import type { router } from '@switchyard/contracts';
import type { ResponseIdentity, SseFrame, StreamEncoder } from '../api-dialect';
import type { HttpFailure } from './http-failure';
import { openAIErrorBody } from './http-failure';
import { reportedModel } from './openai-response';
import { functionCallItem, messageItem, outputItemId, outputTextPart, responseObject, responseStatus, responsesUsage } from './responses-response';
import { switchyardExtension } from './route-summary';

type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** One output item being streamed: the text message or one function call. */
type OpenItem = { kind: 'message'; id: string; index: number; text: string } | { kind: 'function_call'; id: string; index: number; callId: string; name: string; arguments: string };

/**
 * Creates the encoder for one Responses stream. Every event is a named SSE frame whose `type`
 * matches the event name, numbered by `sequence_number`. The message item opens on the first
 * text delta, each router tool call index opens a `function_call` item, and all items close (in
 * output order) when the router's final event arrives, followed by `response.completed` (or
 * `response.incomplete`) carrying usage, the route and the cost.
 */
export function createResponseEventEncoder(identity: ResponseIdentity, model: string): StreamEncoder & { fail(failure: HttpFailure): SseFrame[] } {
  let sequence = 0;
  let started = false;
  let finished = false;
  const items: OpenItem[] = [];
  let message: Extract<OpenItem, { kind: 'message' }> | undefined;
  const calls = new Map<number, Extract<OpenItem, { kind: 'function_call' }>>();

  const frame = (type: string, fields: Record<string, unknown>): SseFrame => ({ event: type, data: JSON.stringify({ type, ...fields, sequence_number: sequence++ }) });
  const snapshot = (fields: { status: string } & Record<string, unknown>, itemStatus: ItemStatus = 'completed') =>
    responseObject(identity, { model, output: items.map((item) => streamedItem(item, itemStatus)), ...fields });

  const openMessage = (frames: SseFrame[]): Extract<OpenItem, { kind: 'message' }> => {
    const opened = { kind: 'message' as const, id: outputItemId(identity, 'msg', items.length), index: items.length, text: '' };
    items.push(opened);
    frames.push(frame('response.output_item.added', { output_index: opened.index, item: messageItem(opened.id, 'in_progress', []) }));
    frames.push(frame('response.content_part.added', { item_id: opened.id, output_index: opened.index, content_index: 0, part: outputTextPart('') }));
    return opened;
  };

  const closeItem = (item: OpenItem, frames: SseFrame[]): void => {
    if (item.kind === 'message') {
      const where = { item_id: item.id, output_index: item.index, content_index: 0 };
      frames.push(frame('response.output_text.done', { ...where, text: item.text, logprobs: [] }));
      frames.push(frame('response.content_part.done', { ...where, part: outputTextPart(item.text) }));
    } else {
      frames.push(frame('response.function_call_arguments.done', { item_id: item.id, output_index: item.index, name: item.name, arguments: item.arguments }));
    }
    frames.push(frame('response.output_item.done', { output_index: item.index, item: streamedItem(item, 'completed') }));
  };

  const encodeDelta = (delta: router.StreamDelta, frames: SseFrame[]): void => {
    if (delta.text !== '') {
      message ??= openMessage(frames);
      message.text += delta.text;
      frames.push(frame('response.output_text.delta', { item_id: message.id, output_index: message.index, content_index: 0, delta: delta.text, logprobs: [] }));
    }
    const call = delta.toolCall;
    if (!call) return;
    let open = calls.get(delta.toolCallIndex);
    if (!open) {
      open = { kind: 'function_call', id: outputItemId(identity, 'fc', items.length), index: items.length, callId: call.id, name: call.name, arguments: '' };
      items.push(open);
      calls.set(delta.toolCallIndex, open);
      frames.push(frame('response.output_item.added', { output_index: open.index, item: functionCallItem(open.id, 'in_progress', { id: open.callId, name: open.name, argumentsJson: '' }) }));
    }
    if (call.argumentsJson === '') return;
    open.arguments += call.argumentsJson;
    frames.push(frame('response.function_call_arguments.delta', { item_id: open.id, output_index: open.index, delta: call.argumentsJson }));
  };

  return {
    get finished() {
      return finished;
    },
    encode(event) {
      const frames: SseFrame[] = [];
      if (!started) {
        started = true;
        frames.push(frame('response.created', { response: snapshot({ status: 'in_progress' }) }));
        frames.push(frame('response.in_progress', { response: snapshot({ status: 'in_progress' }) }));
      }
      if (event.event.case === 'delta') encodeDelta(event.event.value, frames);
      else if (event.event.case === 'final') {
        const final = event.event.value;
        finished = true;
        for (const item of items) closeItem(item, frames);
        const status = responseStatus(final.finishReason);
        const response = snapshot({ ...status, model: reportedModel(final.responseModel, final.route, model), usage: responsesUsage(final.usage), switchyard: switchyardExtension(final) });
        frames.push(frame(status.status === 'completed' ? 'response.completed' : 'response.incomplete', { response }));
      }
      return frames;
    },
    /**
     * A failure after the stream started: `response.failed` (the terminal lifecycle event, with
     * the output so far), then an `error` event whose nested `error` makes the openai SDK throw.
     */
    fail(failure) {
      const error = openAIErrorBody(failure)['error'] as Record<string, unknown>;
      const frames = started ? [] : [frame('response.created', { response: snapshot({ status: 'in_progress' }) })];
      started = true;
      frames.push(frame('response.failed', { response: snapshot({ status: 'failed', error: { code: error['code'], message: failure.message } }, 'incomplete') }));
      frames.push(frame('error', { error }));
      return frames;
    },
  };
}

/** An output item with what has been streamed into it. */
function streamedItem(item: OpenItem, status: ItemStatus): Record<string, unknown> {
  if (item.kind === 'message') return messageItem(item.id, status, [outputTextPart(item.text)]);
  return functionCallItem(item.id, status, { id: item.callId, name: item.name, argumentsJson: item.arguments || '{}' });
}
