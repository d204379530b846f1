import {
  checkCount as count,
  checkOptionalCount as optionalCount,
  checkOptionalString as optionalString,
  failReplyShape as fail,
  isAbsent as absent,
  isJsonObject as isObject,
} from '@switchyard/provider-kit';
import type { ChatCompletion, ChatCompletionChunk } from './chat-wire';

// Shape checks of Chat Completions replies (provider-kit's reply-shape helpers say why they exist).

function checkUsage(usage: unknown, path: string): void {
  if (absent(usage)) return;
  if (!isObject(usage)) fail(path, 'an object', usage);
  // Token counts become integer usage rows: a fraction or a negative count cannot be billed.
  count(usage['prompt_tokens'], `${path}.prompt_tokens`);
  count(usage['completion_tokens'], `${path}.completion_tokens`);
  for (const [field, inner] of [
    ['prompt_tokens_details', 'cached_tokens'],
    ['completion_tokens_details', 'reasoning_tokens'],
  ] as const) {
    const details = usage[field];
    if (absent(details)) continue;
    if (!isObject(details)) fail(`${path}.${field}`, 'an object', details);
    optionalCount(details[inner], `${path}.${field}.${inner}`);
  }
}

function checkChoicesArray(choices: unknown, path: string): unknown[] {
  if (absent(choices)) return [];
  if (!Array.isArray(choices)) fail(path, 'an array', choices);
  return choices;
}

/** Throws an UpstreamProtocolError naming the first field of a `chat.completion` whose type is wrong. */
export function assertChatCompletionShape(value: unknown): asserts value is ChatCompletion {
  if (!isObject(value)) fail('body', 'a JSON object', value);
  optionalString(value['id'], 'id');
  optionalString(value['model'], 'model');
  checkUsage(value['usage'], 'usage');
  checkChoicesArray(value['choices'], 'choices').forEach((choice, i) => {
    const path = `choices[${i}]`;
    if (!isObject(choice)) fail(path, 'an object', choice);
    if (!absent(choice['index']) && !Number.isSafeInteger(choice['index'])) fail(`${path}.index`, 'an integer', choice['index']);
    optionalString(choice['finish_reason'], `${path}.finish_reason`);
    const message = choice['message'];
    if (!isObject(message)) fail(`${path}.message`, 'an object', message);
    optionalString(message['content'], `${path}.message.content`);
    optionalString(message['refusal'], `${path}.message.refusal`);
    const calls = message['tool_calls'];
    if (absent(calls)) return;
    if (!Array.isArray(calls)) fail(`${path}.message.tool_calls`, 'an array', calls);
    calls.forEach((call: unknown, c) => {
      const callPath = `${path}.message.tool_calls[${c}]`;
      if (!isObject(call)) fail(callPath, 'an object', call);
      optionalString(call['id'], `${callPath}.id`);
      optionalString(call['type'], `${callPath}.type`);
      const fn = call['function'];
      if (absent(fn)) return;
      if (!isObject(fn)) fail(`${callPath}.function`, 'an object', fn);
      optionalString(fn['name'], `${callPath}.function.name`);
      optionalString(fn['arguments'], `${callPath}.function.arguments`);
    });
  });
}

/** Throws an UpstreamProtocolError naming the first field of a `chat.completion.chunk` whose type is wrong. */
export function assertChatCompletionChunkShape(value: unknown): asserts value is ChatCompletionChunk {
  if (!isObject(value)) fail('chunk', 'a JSON object', value);
  optionalString(value['id'], 'chunk.id');
  optionalString(value['model'], 'chunk.model');
  checkUsage(value['usage'], 'chunk.usage');
  checkChoicesArray(value['choices'], 'chunk.choices').forEach((choice, i) => {
    const path = `chunk.choices[${i}]`;
    if (!isObject(choice)) fail(path, 'an object', choice);
    if (!absent(choice['index']) && !Number.isSafeInteger(choice['index'])) fail(`${path}.index`, 'an integer', choice['index']);
    optionalString(choice['finish_reason'], `${path}.finish_reason`);
    const delta = choice['delta'];
    if (absent(delta)) return;
    if (!isObject(delta)) fail(`${path}.delta`, 'an object', delta);
    optionalString(delta['content'], `${path}.delta.content`);
    optionalString(delta['refusal'], `${path}.delta.refusal`);
    const pieces = delta['tool_calls'];
    if (absent(pieces)) return;
    if (!Array.isArray(pieces)) fail(`${path}.delta.tool_calls`, 'an array', pieces);
    pieces.forEach((piece: unknown, p) => {
      const piecePath = `${path}.delta.tool_calls[${p}]`;
      if (!isObject(piece)) fail(piecePath, 'an object', piece);
      if (!absent(piece['index']) && !(Number.isSafeInteger(piece['index']) && (piece['index'] as number) >= 0)) fail(`${piecePath}.index`, 'an integer ≥ 0', piece['index']);
      optionalString(piece['id'], `${piecePath}.id`);
      const fn = piece['function'];
      if (absent(fn)) return;
      if (!isObject(fn)) fail(`${piecePath}.function`, 'an object', fn);
      optionalString(fn['name'], `${piecePath}.function.name`);
      optionalString(fn['arguments'], `${piecePath}.function.arguments`);
    });
  });
}
