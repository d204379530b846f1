import { common, type router } from '@switchyard/contracts';
import { createResponseEventEncoder } from './responses-stream';

const identity = { id: 'resp_req-1', created: 1_700_000_000, requestedModel: 'switchyard/auto' };

function event(value: Record<string, unknown>, kind: 'delta' | 'final' = 'delta'): router.StreamGenerateResponse {
  return { event: { case: kind, value } } as unknown as router.StreamGenerateResponse;
}

describe('createResponseEventEncoder', () => {
  it('keeps text and tool call items apart by output_index and closes them in order at the end', () => {
    const encoder = createResponseEventEncoder(identity, 'echo-small');
    const frames = [
      event({ text: 'Let me check. ', toolCallIndex: 0 }),
      event({ text: '', toolCallIndex: 0, toolCall: { id: 'call_1', name: 'get_weather', argumentsJson: '{"city":' } }),
      event({ text: '', toolCallIndex: 0, toolCall: { id: '', name: '', argumentsJson: '"Oslo"}' } }),
      event({ text: 'Done.', toolCallIndex: 0 }),
      event({ finishReason: common.FinishReason.TOOL_CALLS, usage: { inputTokens: 10n, cachedInputTokens: 4n, outputTokens: 5n, reasoningTokens: 2n }, responseModel: 'echo-small' }, 'final'),
    ].flatMap((e) => encoder.encode(e));
    const events = frames.map((frame): Record<string, unknown> => ({ sseEvent: frame.event, ...(JSON.parse(frame.data) as Record<string, unknown>) }));
    expect(events.every((e) => e['sseEvent'] === e['type'])).toBe(true);
    expect(events.map((e) => [e['type'], e['output_index'] ?? null])).toEqual([
      ['response.created', null],
      ['response.in_progress', null],
      ['response.output_item.added', 0],
      ['response.content_part.added', 0],
      ['response.output_text.delta', 0],
      ['response.output_item.added', 1],
      ['response.function_call_arguments.delta', 1],
      ['response.function_call_arguments.delta', 1],
      ['response.output_text.delta', 0],
      ['response.output_text.done', 0],
      ['response.content_part.done', 0],
      ['response.output_item.done', 0],
      ['response.function_call_arguments.done', 1],
      ['response.output_item.done', 1],
      ['response.completed', null],
    ]);
    expect(encoder.finished).toBe(true);
    const completed = events[events.length - 1]!['response'] as Record<string, unknown>;
    expect(completed['output']).toEqual([
      { id: 'msg_req-1_0', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check. Done.', annotations: [], logprobs: [] }] },
      { id: 'fc_req-1_1', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ]);
    expect(completed['usage']).toEqual({
      input_tokens: 14,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 19,
    });
  });

  it('ends a length stop with response.incomplete', () => {
    const encoder = createResponseEventEncoder(identity, 'echo-small');
    const frames = [event({ text: 'Once upon', toolCallIndex: 0 }), event({ finishReason: common.FinishReason.LENGTH }, 'final')].flatMap((e) => encoder.encode(e));
    const last = JSON.parse(frames[frames.length - 1]!.data) as { type: string; response: Record<string, unknown> };
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });
});
