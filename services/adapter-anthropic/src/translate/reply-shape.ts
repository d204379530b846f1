import { checkOptionalString as optionalString, failReplyShape as fail, isAbsent as absent, isJsonObject as isObject } from '@switchyard/provider-kit';
import type { AnthropicMessage } from './response';
import type { AnthropicStreamEvent } from './stream';

// Shape checks of Messages API replies (provider-kit's reply-shape helpers say why they exist).

function optionalIndex(value: unknown, path: string): void {
  if (!absent(value) && !(Number.isSafeInteger(value) && (value as number) >= 0)) fail(path, 'an integer ≥ 0', value);
}

/** Usage counts become integer usage rows: a fraction or a negative count cannot be billed. */
function checkUsage(usage: unknown, path: string, required: boolean): void {
  if (absent(usage)) {
    if (required) fail(path, 'an object', usage);
    return;
  }
  if (!isObject(usage)) fail(path, 'an object', usage);
  for (const field of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens']) {
    const value = usage[field];
    if (!absent(value) && !(Number.isSafeInteger(value) && (value as number) >= 0)) fail(`${path}.${field}`, 'a whole number ≥ 0', value);
  }
  const details = usage['output_tokens_details'];
  if (absent(details)) return;
  if (!isObject(details)) fail(`${path}.output_tokens_details`, 'an object', details);
  const thinking = details['thinking_tokens'];
  if (!absent(thinking) && !(Number.isSafeInteger(thinking) && (thinking as number) >= 0)) fail(`${path}.output_tokens_details.thinking_tokens`, 'a whole number ≥ 0', thinking);
}

/** Throws an UpstreamProtocolError naming the first field of a Messages reply whose type is wrong. */
export function assertAnthropicMessageShape(value: unknown): asserts value is AnthropicMessage {
  if (!isObject(value)) fail('body', 'a JSON object', value);
  optionalString(value['id'], 'id');
  optionalString(value['model'], 'model');
  optionalString(value['stop_reason'], 'stop_reason');
  checkUsage(value['usage'], 'usage', true);
  const content = value['content'];
  if (!Array.isArray(content)) fail('content', 'an array', content);
  content.forEach((block: unknown, i) => {
    if (!isObject(block)) fail(`content[${i}]`, 'an object', block);
    optionalString(block['type'], `content[${i}].type`);
    optionalString(block['text'], `content[${i}].text`);
    optionalString(block['id'], `content[${i}].id`);
    optionalString(block['name'], `content[${i}].name`);
  });
}

/** Throws an UpstreamProtocolError naming the first field of a stream event whose type is wrong. */
export function assertAnthropicStreamEventShape(value: unknown): asserts value is AnthropicStreamEvent | { type: string } {
  if (!isObject(value)) fail('event', 'a JSON object', value);
  const type = value['type'];
  if (typeof type !== 'string') fail('event.type', 'a string', type);
  switch (type) {
    case 'message_start': {
      const message = value['message'];
      if (!isObject(message)) fail('message_start.message', 'an object', message);
      optionalString(message['id'], 'message_start.message.id');
      optionalString(message['model'], 'message_start.message.model');
      checkUsage(message['usage'], 'message_start.message.usage', false);
      return;
    }
    case 'content_block_start': {
      optionalIndex(value['index'], 'content_block_start.index');
      const block = value['content_block'];
      if (!isObject(block)) fail('content_block_start.content_block', 'an object', block);
      for (const field of ['type', 'text', 'id', 'name']) optionalString(block[field], `content_block_start.content_block.${field}`);
      return;
    }
    case 'content_block_delta': {
      optionalIndex(value['index'], 'content_block_delta.index');
      const delta = value['delta'];
      if (!isObject(delta)) fail('content_block_delta.delta', 'an object', delta);
      for (const field of ['type', 'text', 'partial_json']) optionalString(delta[field], `content_block_delta.delta.${field}`);
      return;
    }
    case 'content_block_stop':
      optionalIndex(value['index'], 'content_block_stop.index');
      return;
    case 'message_delta': {
      const delta = value['delta'];
      if (!absent(delta) && !isObject(delta)) fail('message_delta.delta', 'an object', delta);
      if (isObject(delta)) optionalString(delta['stop_reason'], 'message_delta.delta.stop_reason');
      checkUsage(value['usage'], 'message_delta.usage', false);
      return;
    }
    default:
      return;
  }
}
