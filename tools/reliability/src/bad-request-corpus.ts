// The hostile-input corpus: bad requests sent through the SDK, as raw protobuf bytes, as hand-made
// gRPC frames over HTTP/2, and as HTTP bodies to the edge. Each names the status it must get and
// the field or words the message must name.
import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { common, router } from '@switchyard/contracts';
import { chatMessage, type ApiKeyServiceClient, type RouterServiceClient } from '@switchyard/sdk';
import { grpcFrame } from './harness/raw-grpc';

/** What a bad request must get back. */
export interface Expectation {
  /** gRPC status name. */
  code: string;
  /** The BadRequest field violation's path, when the status is INVALID_ARGUMENT about one field. */
  field?: string;
  /** Words the message must contain (naming the problem). */
  message?: RegExp;
}

/** The clients a case may use. */
export interface CorpusClients {
  router(team: 'hostile' | 'restricted'): RouterServiceClient;
  apiKeysAsAdmin: ApiKeyServiceClient;
}

/** A bad request through the SDK. */
export interface SdkCase {
  kind: 'sdk';
  name: string;
  call(clients: CorpusClients, requestId: string): Promise<unknown>;
  expect: Expectation;
}

/** Protobuf bytes sent as they are. */
export interface RawBytesCase {
  kind: 'raw';
  name: string;
  path: string;
  payload: Uint8Array;
  /** Extra metadata; the hostile team's key is added unless `anonymous`. */
  metadata?: Record<string, string>;
  anonymous?: boolean;
  maxSendBytes?: number;
  expect: Expectation;
}

/** A hand-made HTTP/2 request body (gRPC framing under test). */
export interface FrameCase {
  kind: 'frame';
  name: string;
  path: string;
  body: Buffer;
  headers?: Record<string, string>;
  expect: { grpcStatus?: number; httpStatus?: number; message?: RegExp };
}

/** An HTTP body for the edge. */
export interface EdgeCase {
  kind: 'edge';
  name: string;
  path: string;
  body: string | Buffer;
  contentType?: string;
  expect: { httpStatus: number; message?: RegExp; param?: string };
}

/** Any case. */
export type BadRequestCase = SdkCase | RawBytesCase | FrameCase | EdgeCase;

export const GENERATE = '/switchyard.router.v1.RouterService/Generate';
/** The one hostile request that is served (a framing oddity grpc-js accepts), billed once to the caller. */
export const FRAME_SERVED_REQUEST_ID = 'frame-compressed-flag';
const user = (text: string) => chatMessage('user', text);
const generate = (init: Omit<router.GenerateRequest, '$typeName' | 'context'> | Record<string, unknown>) => (clients: CorpusClients, requestId: string) =>
  clients.router('hostile').generate({ ...(init as object), context: { requestId, ...((init as { context?: object }).context ?? {}) } } as never, { timeoutMs: 15_000 });
const sdk = (name: string, request: Record<string, unknown>, expect: Expectation): SdkCase => ({ kind: 'sdk', name, call: generate(request), expect });
const invalid = (field: string, message?: RegExp): Expectation => ({ code: 'INVALID_ARGUMENT', field, ...(message ? { message } : {}) });

/** A JSON value nested `depth` objects deep: {"a":{"a":{...}}}. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < depth; i++) value = { type: 'object', properties: { a: value } };
  return value;
}

/** A valid GenerateRequest's bytes with `mutate` applied to a writer before the end. */
function generateBytes(fields: (w: BinaryWriter) => void): Uint8Array {
  const writer = new BinaryWriter();
  fields(writer);
  return writer.finish();
}
const userMessageBytes = (textBytes: Uint8Array) =>
  new BinaryWriter()
    .tag(1, WireType.Varint)
    .int32(common.Role.USER)
    .tag(2, WireType.LengthDelimited)
    .bytes(new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(textBytes).finish())
    .finish();
const validMessages = (w: BinaryWriter) => w.tag(1, WireType.LengthDelimited).bytes(userMessageBytes(new TextEncoder().encode('hello')));
const validGenerate = toBinary(router.GenerateRequestSchema, create(router.GenerateRequestSchema, { messages: [user('hello')] }));

/** The corpus (`bigPrompt` bytes are built on demand: several MiB). */
export function badRequestCorpus(): BadRequestCase[] {
  return [
    // ---- empty and missing fields
    sdk('empty request', {}, invalid('messages', /at least one message/)),
    sdk('message without a role', { messages: [{ parts: [{ kind: { case: 'text', value: 'hi' } }] }] }, invalid('messages[0].role', /must be set/)),
    sdk('message without parts', { messages: [{ role: common.Role.USER }] }, invalid('messages[0].parts', /must not be empty/)),
    sdk('content part with no kind', { messages: [{ role: common.Role.USER, parts: [{}] }] }, invalid('messages[0].parts[0].kind')),
    sdk('last message from the assistant', { messages: [user('hi'), chatMessage('assistant', 'hello')] }, invalid('messages[1].role', /last message/)),
    sdk('tool message without tool_call_id', { messages: [user('hi'), { role: common.Role.TOOL, parts: [{ kind: { case: 'text', value: '42' } }] }] }, invalid('messages[1].tool_call_id')),
    sdk('tool call without id', { messages: [{ role: common.Role.ASSISTANT, toolCalls: [{ name: 'f', argumentsJson: '{}' }] }, user('go')] }, invalid('messages[0].tool_calls[0].id')),
    sdk('JSON_SCHEMA without a schema', { messages: [user('hi')], params: { responseFormat: { type: common.ResponseFormatType.JSON_SCHEMA, schemaName: 'x' } } }, invalid('params.response_format.json_schema')),
    sdk('named tool choice without tools', { messages: [user('hi')], params: { toolChoice: { mode: common.ToolChoiceMode.NAMED, toolName: 'x' } } }, invalid('params.tool_choice.mode', /requires params.tools/)),
    // ---- wrong enums
    sdk('role 99', { messages: [{ role: 99, parts: [{ kind: { case: 'text', value: 'hi' } }] }] }, invalid('messages[0].role', /unknown role 99/)),
    sdk('tool choice mode 42', { messages: [user('hi')], params: { tools: [{ name: 'f' }], toolChoice: { mode: 42 } } }, invalid('params.tool_choice.mode', /unknown mode/)),
    sdk('response format type 17', { messages: [user('hi')], params: { responseFormat: { type: 17 } } }, invalid('params.response_format.type', /unknown type/)),
    sdk('image detail "ultra"', { messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'image', value: { source: { case: 'url', value: 'https://example.com/a.png' }, detail: 'ultra' } } }] }] }, invalid('messages[0].parts[0].image.detail')),
    // ---- absurd numbers
    sdk('max_output_tokens 0', { messages: [user('hi')], params: { maxOutputTokens: 0 } }, invalid('params.max_output_tokens')),
    sdk('max_output_tokens 4294967295', { messages: [user('hi')], params: { maxOutputTokens: 4294967295 } }, invalid('params.max_output_tokens')),
    sdk('max_output_tokens 900000 (beyond every model)', { messages: [user('hi')], params: { maxOutputTokens: 900_000 } }, { code: 'INVALID_ARGUMENT', message: /max_output_tokens|output tokens|context window/ }),
    sdk('temperature -1', { messages: [user('hi')], params: { temperature: -1 } }, invalid('params.temperature')),
    sdk('temperature NaN', { messages: [user('hi')], params: { temperature: Number.NaN } }, invalid('params.temperature')),
    sdk('temperature Infinity', { messages: [user('hi')], params: { temperature: Number.POSITIVE_INFINITY } }, invalid('params.temperature')),
    sdk('top_p 0', { messages: [user('hi')], params: { topP: 0 } }, invalid('params.top_p')),
    sdk('top_p 1.5', { messages: [user('hi')], params: { topP: 1.5 } }, invalid('params.top_p')),
    sdk('five stop sequences', { messages: [user('hi')], params: { stopSequences: ['a', 'b', 'c', 'd', 'e'] } }, invalid('params.stop_sequences')),
    sdk('empty stop sequence', { messages: [user('hi')], params: { stopSequences: [''] } }, invalid('params.stop_sequences[0]')),
    sdk('quality target 2', { messages: [user('hi')], routing: { qualityTarget: 2 } }, invalid('routing.quality_target')),
    sdk('quality target NaN', { messages: [user('hi')], routing: { qualityTarget: Number.NaN } }, invalid('routing.quality_target')),
    sdk('negative cost cap', { messages: [user('hi')], routing: { maxCostNanosUsd: -5n } }, invalid('routing.max_cost_nanos_usd')),
    sdk('negative latency objective', { messages: [user('hi')], routing: { latencyObjective: { seconds: -3n, nanos: 0 } } }, invalid('routing.latency_objective')),
    sdk('latency objective nanos out of range', { messages: [user('hi')], routing: { latencyObjective: { seconds: 1n, nanos: 2_000_000_000 } } }, invalid('routing.latency_objective')),
    // ---- context fields
    {
      kind: 'sdk',
      name: 'request id with a newline',
      call: (c) => c.router('hostile').generate({ messages: [user('hi')], context: { requestId: 'abc\ndef' } }),
      expect: invalid('context.request_id'),
    },
    { kind: 'sdk', name: 'request id of 200 characters', call: (c) => c.router('hostile').generate({ messages: [user('hi')], context: { requestId: 'r'.repeat(200) } }), expect: invalid('context.request_id') },
    sdk('project with a slash', { messages: [user('hi')], context: { project: 'a/../b' } }, invalid('context.project')),
    sdk('seventeen feature tags', { messages: [user('hi')], context: { featureTags: Array.from({ length: 17 }, (_, i) => `t${i}`) } }, invalid('context.feature_tags')),
    sdk('feature tag with a space', { messages: [user('hi')], context: { featureTags: ['has space'] } }, invalid('context.feature_tags[0]')),
    sdk('end user id that is an email', { messages: [user('hi')], context: { endUserId: 'someone@example.com' } }, invalid('context.end_user_id', /email/)),
    sdk('end user id of 300 characters', { messages: [user('hi')], context: { endUserId: 'u'.repeat(300) } }, invalid('context.end_user_id')),
    // ---- models
    sdk('unknown model', { messages: [user('hi')], model: 'openai/gpt-9-ultra' }, invalid('model', /unknown model/)),
    sdk('model id with shell characters', { messages: [user('hi')], model: 'gpt-4; rm -rf /' }, invalid('model')),
    {
      kind: 'sdk',
      name: 'a model the team may not use',
      call: (c, requestId) => c.router('restricted').generate({ messages: [user('hi')], model: 'anthropic/claude-haiku-4-5', context: { requestId } }),
      expect: { code: 'PERMISSION_DENIED', message: /may not use anthropic\/claude-haiku-4-5/ },
    },
    // ---- images, tools, schemas
    sdk('image over http', { messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'image', value: { source: { case: 'url', value: 'http://169.254.169.254/latest/meta-data' } } } }] }] }, invalid('messages[0].parts[0].image.url', /https/)),
    sdk('image file URL', { messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'image', value: { source: { case: 'url', value: 'file:///etc/passwd' } } } }] }] }, invalid('messages[0].parts[0].image.url')),
    sdk('image URL that is not a URL', { messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'image', value: { source: { case: 'url', value: 'not a url' } } } }] }] }, invalid('messages[0].parts[0].image.url')),
    sdk('image data with media type text/html', { messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'image', value: { source: { case: 'data', value: new Uint8Array([1, 2, 3]) }, mediaType: 'text/html' } } }] }] }, invalid('messages[0].parts[0].image.media_type')),
    sdk('image in an assistant message', { messages: [{ role: common.Role.ASSISTANT, parts: [{ kind: { case: 'image', value: { source: { case: 'url', value: 'https://example.com/a.png' } } } }] }, user('hi')] }, invalid('messages[0].parts[0].image')),
    sdk('tool calls in a user message', { messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'text', value: 'hi' } }], toolCalls: [{ id: 'c1', name: 'f' }] }] }, invalid('messages[0].tool_calls')),
    sdk('duplicate tool names', { messages: [user('hi')], params: { tools: [{ name: 'f' }, { name: 'f' }] } }, invalid('params.tools[1].name', /declared twice/)),
    sdk('tool name with a dot and spaces', { messages: [user('hi')], params: { tools: [{ name: 'rm -rf .' }] } }, invalid('params.tools[0].name')),
    sdk('129 tools', { messages: [user('hi')], params: { tools: Array.from({ length: 129 }, (_, i) => ({ name: `t${i}` })) } }, invalid('params.tools')),
    sdk('named tool choice naming an unknown tool', { messages: [user('hi')], params: { tools: [{ name: 'f' }], toolChoice: { mode: common.ToolChoiceMode.NAMED, toolName: 'g' } } }, invalid('params.tool_choice.tool_name')),
    sdk('tool schema nested 60 levels deep', { messages: [user('hi')], params: { tools: [{ name: 'deep', parametersSchema: nested(60) }] } }, { code: 'INVALID_ARGUMENT', message: /depth|nest/i }),
    sdk('response schema nested 60 levels deep', { messages: [user('hi')], params: { responseFormat: { type: common.ResponseFormatType.JSON_SCHEMA, schemaName: 'deep', jsonSchema: nested(60) } } }, { code: 'INVALID_ARGUMENT', message: /depth|nest/i }),
    // ---- size
    sdk('a prompt beyond every context window (≈5 M characters)', { messages: [user('word '.repeat(1_000_000))] }, { code: 'INVALID_ARGUMENT', message: /context window/ }),
    {
      kind: 'sdk',
      name: 'a prompt beyond the 16 MiB message limit (refused by the SDK before sending)',
      call: (c, requestId) => c.router('hostile').generate({ messages: [user('x'.repeat(17 * 1024 * 1024))], context: { requestId } }),
      expect: { code: 'RESOURCE_EXHAUSTED', message: /larger than (max|16777216)/ },
    },
    // ---- other methods
    { kind: 'sdk', name: 'ListModels with a negative page size', call: (c) => c.router('hostile').listModels({ pageSize: -1 }), expect: invalid('page_size') },
    { kind: 'sdk', name: 'ListModels with a forged page token', call: (c) => c.router('hostile').listModels({ pageToken: Buffer.from('router-models:999999').toString('base64url') }), expect: invalid('page_token') },
    { kind: 'sdk', name: 'ExplainRoute with no messages', call: (c) => c.router('hostile').explainRoute({}), expect: invalid('messages') },
    {
      kind: 'sdk',
      name: 'StreamGenerate with role 0',
      call: async (c, requestId) => {
        for await (const _ of c.router('hostile').streamGenerate({ messages: [{ parts: [{ kind: { case: 'text', value: 'x' } }] }], context: { requestId } })) {
          // no event is expected
        }
      },
      expect: invalid('messages[0].role'),
    },
    { kind: 'sdk', name: 'CreateApiKey for a team id with a slash', call: (c) => c.apiKeysAsAdmin.createApiKey({ teamId: '../admin', role: router.ApiKeyRole.TEAM }), expect: invalid('team_id') },
    { kind: 'sdk', name: 'CreateApiKey with role 0', call: (c) => c.apiKeysAsAdmin.createApiKey({ teamId: 'hostile' }), expect: invalid('role') },
    // ---- raw protobuf bytes
    { kind: 'raw', name: 'random bytes', path: GENERATE, payload: Uint8Array.from({ length: 64 }, (_, i) => (i * 151 + 7) % 256), expect: { code: 'INVALID_ARGUMENT', message: /not a valid switchyard\.router\.v1\.GenerateRequest/ } },
    { kind: 'raw', name: 'a truncated message', path: GENERATE, payload: validGenerate.subarray(0, validGenerate.length - 3), expect: { code: 'INVALID_ARGUMENT', message: /not a valid switchyard\.router\.v1\.GenerateRequest/ } },
    {
      kind: 'raw',
      name: 'field 1 with the wrong wire type',
      path: GENERATE,
      payload: generateBytes((w) => w.tag(1, WireType.Varint).int32(5)),
      expect: { code: 'INVALID_ARGUMENT', message: /not a valid switchyard\.router\.v1\.GenerateRequest/ },
    },
    {
      kind: 'raw',
      name: 'invalid UTF-8 in the prompt',
      path: GENERATE,
      payload: generateBytes((w) => w.tag(1, WireType.LengthDelimited).bytes(userMessageBytes(Uint8Array.from([0x68, 0x69, 0xc3, 0x28, 0xff, 0xfe])))),
      expect: { code: 'INVALID_ARGUMENT', message: /UTF-8/ },
    },
    {
      kind: 'raw',
      name: 'negative max_output_tokens (a 10-byte varint in a uint32 field)',
      path: GENERATE,
      payload: generateBytes((w) => {
        validMessages(w);
        w.tag(2, WireType.LengthDelimited).bytes(new BinaryWriter().tag(1, WireType.Varint).int64(-1).finish());
      }),
      expect: invalid('params.max_output_tokens'),
    },
    {
      kind: 'raw',
      name: 'a length prefix pointing past the end',
      path: GENERATE,
      payload: Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
      expect: { code: 'INVALID_ARGUMENT', message: /not a valid switchyard\.router\.v1\.GenerateRequest/ },
    },
    {
      kind: 'raw',
      name: 'a message beyond the 16 MiB server limit',
      path: GENERATE,
      payload: toBinary(router.GenerateRequestSchema, create(router.GenerateRequestSchema, { messages: [user('x'.repeat(17 * 1024 * 1024))] })),
      expect: { code: 'RESOURCE_EXHAUSTED', message: /larger than max/ },
    },
    { kind: 'raw', name: 'an unknown method', path: '/switchyard.router.v1.RouterService/DropAllTables', payload: new Uint8Array(), expect: { code: 'UNIMPLEMENTED' } },
    { kind: 'raw', name: 'no API key', path: GENERATE, payload: validGenerate, anonymous: true, expect: { code: 'UNAUTHENTICATED', message: /missing API key/ } },
    { kind: 'raw', name: 'a well-formed but unknown API key', path: GENERATE, payload: validGenerate, anonymous: true, metadata: { 'x-api-key': `sy_0000000000_${'a'.repeat(32)}` }, expect: { code: 'UNAUTHENTICATED', message: /not valid/ } },
    { kind: 'raw', name: 'a 6 KiB bearer token', path: GENERATE, payload: validGenerate, anonymous: true, metadata: { authorization: `Bearer ${'A'.repeat(6 * 1024)}` }, expect: { code: 'UNAUTHENTICATED' } },
    // ---- gRPC framing over HTTP/2
    // grpc-js reads a compressed flag without a grpc-encoding header as identity: the request is served (and billed once).
    {
      kind: 'frame',
      name: 'compressed flag without a negotiated encoding (grpc-js treats it as identity: served)',
      path: GENERATE,
      body: grpcFrame(toBinary(router.GenerateRequestSchema, create(router.GenerateRequestSchema, { messages: [user('hello')], context: { requestId: FRAME_SERVED_REQUEST_ID } })), { compressed: true }),
      expect: { grpcStatus: 0 },
    },
    // grpc-js answers a unary call that did not carry exactly one whole message with UNIMPLEMENTED.
    { kind: 'frame', name: 'a length prefix longer than the body', path: GENERATE, body: grpcFrame(validGenerate, { declaredLength: validGenerate.length + 100 }), expect: { grpcStatus: 12 } },
    { kind: 'frame', name: 'a length prefix of 4 GiB', path: GENERATE, body: grpcFrame(validGenerate, { declaredLength: 0xffffffff }), expect: { grpcStatus: 8 } },
    { kind: 'frame', name: 'two messages on a unary call', path: GENERATE, body: Buffer.concat([grpcFrame(validGenerate), grpcFrame(validGenerate)]), expect: { grpcStatus: 12 } },
    { kind: 'frame', name: 'content-type text/plain', path: GENERATE, body: grpcFrame(validGenerate), headers: { 'content-type': 'text/plain' }, expect: { httpStatus: 415 } },
    { kind: 'frame', name: 'an unknown grpc-encoding', path: GENERATE, body: grpcFrame(validGenerate, { compressed: true }), headers: { 'grpc-encoding': 'lzma' }, expect: { grpcStatus: 12 } },
    // ---- the HTTP edge
    { kind: 'edge', name: 'edge: body that is not JSON', path: '/v1/chat/completions', body: '{"model": "gpt-4.1-nano", "messages": [', expect: { httpStatus: 400, message: /JSON/i } },
    { kind: 'edge', name: 'edge: messages is a string', path: '/v1/chat/completions', body: JSON.stringify({ model: 'gpt-4.1-nano', messages: 'hi' }), expect: { httpStatus: 400, param: 'messages' } },
    { kind: 'edge', name: 'edge: negative max_tokens', path: '/v1/chat/completions', body: JSON.stringify({ model: 'gpt-4.1-nano', max_tokens: -5, messages: [{ role: 'user', content: 'hi' }] }), expect: { httpStatus: 400, param: 'max_tokens' } },
    { kind: 'edge', name: 'edge: max_tokens 1e300', path: '/v1/chat/completions', body: '{"model":"gpt-4.1-nano","max_tokens":1e300,"messages":[{"role":"user","content":"hi"}]}', expect: { httpStatus: 400, param: 'max_tokens' } },
    { kind: 'edge', name: 'edge: role "root"', path: '/v1/chat/completions', body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'root', content: 'hi' }] }), expect: { httpStatus: 400 } },
    { kind: 'edge', name: 'edge: unknown model', path: '/v1/chat/completions', body: JSON.stringify({ model: 'gpt-9-ultra', messages: [{ role: 'user', content: 'hi' }] }), expect: { httpStatus: 400, message: /unknown model/ } },
    { kind: 'edge', name: 'edge: JSON nested 100000 deep', path: '/v1/chat/completions', body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, expect: { httpStatus: 400 } },
    { kind: 'edge', name: 'edge: invalid UTF-8 in the body', path: '/v1/chat/completions', body: Buffer.concat([Buffer.from('{"model":"gpt-4.1-nano","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]), expect: { httpStatus: 400 } },
    { kind: 'edge', name: 'edge: Anthropic body without max_tokens', path: '/v1/messages', body: JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] }), expect: { httpStatus: 400, message: /max_tokens/ } },
    { kind: 'edge', name: 'edge: body over the size limit', path: '/v1/chat/completions', body: Buffer.alloc(17 * 1024 * 1024, 0x20), expect: { httpStatus: 413 } },
  ];
}
