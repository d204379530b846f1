import { common } from '@switchyard/contracts';
import { EdgeRequestError } from './edge-request-error';
import { responsesToRouterRequest } from './responses-request';

const caller = { requestId: 'req-1', project: 'web' };

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('responsesToRouterRequest', () => {
  it('maps items, tools, text.format and tool_choice to the router request', () => {
    const translated = responsesToRouterRequest(
      {
        model: 'switchyard/auto',
        instructions: 'Be brief.',
        input: [
          { role: 'user', content: 'weather?' },
          { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_text', text: '21' }, { type: 'input_text', text: 'C' }] },
        ],
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
        tool_choice: { type: 'function', name: 'get_weather' },
        text: { format: { type: 'json_object' }, verbosity: 'low' },
        max_output_tokens: 50,
        store: true,
        safety_identifier: 'user-9',
        stream: true,
      },
      caller,
    );
    expect(translated.stream).toBe(true);
    const request = translated.request;
    expect(request.messages?.map((message) => message.role)).toEqual([common.Role.SYSTEM, common.Role.USER, common.Role.ASSISTANT, common.Role.TOOL]);
    expect(request.messages?.[2]?.toolCalls?.map((call) => call.id)).toEqual(['call_1', 'call_2']);
    expect(request.messages?.[3]).toMatchObject({ toolCallId: 'call_1', parts: [{ kind: { value: '21' } }, { kind: { value: 'C' } }] });
    expect(request.params).toMatchObject({
      maxOutputTokens: 50,
      responseFormat: { type: common.ResponseFormatType.JSON_OBJECT },
      toolChoice: { mode: common.ToolChoiceMode.NAMED, toolName: 'get_weather' },
      tools: [{ name: 'get_weather', description: '', strict: false }],
    });
    expect(request.context).toMatchObject({ requestId: 'req-1', project: 'web', endUserId: 'user-9' });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['stored continuation', { previous_response_id: 'resp_1' }, 'previous_response_id', 'stores no responses'],
    ['stored conversation', { conversation: 'conv_1' }, 'conversation', 'stores no conversations'],
    ['background mode', { background: true }, 'background', 'background responses are not supported'],
    ['stored prompt', { prompt: { id: 'pmpt_1' } }, 'prompt', 'stored prompt'],
    ['extra output data', { include: ['reasoning.encrypted_content'] }, 'include', 'include'],
    ['a built-in tool', { tools: [{ type: 'function', name: 'f' }, { type: 'file_search' }] }, 'tools[1].type', "'file_search'"],
    ['a hosted tool_choice', { tool_choice: { type: 'web_search_preview' } }, 'tool_choice.type', "'web_search_preview'"],
    ['a reasoning item', { input: [{ type: 'reasoning', summary: [] }] }, 'input[0].type', "'reasoning'"],
    ['an unknown role', { input: [{ role: 'tool', content: 'x' }] }, 'input[0].role', 'expected one of'],
    ['a function call without call_id', { input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id', 'Missing required parameter'],
    ['a file part', { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input[0].content[0].type', 'input_text'],
    ['a plain-http image', { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'http://10.0.0.1/x.png' }] }] }, 'input[0].content[0].image_url', 'https URL'],
    ['a schema format without schema', { text: { format: { type: 'json_schema', name: 'x' } } }, 'text.format.schema', 'Missing required parameter'],
    ['an empty input', { input: [] }, 'input', 'Too small'],
    ['an upstream URL', { api_base: 'https://evil.example' }, 'api_base', 'upstream URL'],
  ])('refuses %s, naming the field', (_name, extra, field, words) => {
    const error = thrownBy(() => responsesToRouterRequest({ model: 'switchyard/auto', input: 'hi', ...extra }, caller));
    expect(error).toBeInstanceOf(EdgeRequestError);
    expect((error as EdgeRequestError).message).toContain(words);
    expect((error as EdgeRequestError).field).toBe(field);
  });
});
