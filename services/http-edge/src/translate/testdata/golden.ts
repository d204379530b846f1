// Runners for the golden translation cases: each turns a case's input into plain JSON to compare
// with the case's `expected`. Protobuf messages are compared in protobuf's JSON mapping.
import { create, fromJson, toJson, type JsonValue } from '@bufbuild/protobuf';
import { router } from '@switchyard/contracts';
import { messagesToRouterRequest } from '../anthropic-request';
import { routerResponseToAnthropicMessage } from '../anthropic-response';
import { createMessageEventEncoder } from '../anthropic-stream';
import { EdgeRequestError } from '../edge-request-error';
import { chatCompletionToRouterRequest } from '../openai-request';
import { routerResponseToChatCompletion } from '../openai-response';
import { createChatChunkEncoder } from '../openai-stream';
import type { GenerateInit, RouterCaller } from '../router-caller';

/** The header-derived fields every request case is translated with. */
export const GOLDEN_CALLER: RouterCaller = { requestId: 'req-golden', project: 'search', featureTags: ['feature:golden'] };
const IDENTITY = { created: 1_700_000_000, requestedModel: 'switchyard/auto' };

/** A request case: an HTTP body and the router request it must become. */
export interface RequestCase {
  name: string;
  body: unknown;
  expected: unknown;
}
/** A request the edge must refuse: the field it names and its message. */
export interface RequestErrorCase {
  name: string;
  body: unknown;
  expected: { field: string | null; message: string };
}
/** A router GenerateResponse (protobuf JSON) and both APIs' bodies for it. */
export interface ResponseCase {
  name: string;
  response: JsonValue;
  expected: { openai: unknown; anthropic: unknown };
}
/** Router stream events (protobuf JSON) and what each API's stream must carry. */
export interface StreamCase {
  name: string;
  events: JsonValue[];
  expected: { openai: unknown; openaiWithUsage: unknown; anthropic: unknown };
}

function requestJson(request: GenerateInit): JsonValue {
  return toJson(router.GenerateRequestSchema, create(router.GenerateRequestSchema, request));
}

/** OpenAI body → { request (protobuf JSON), stream flags }. */
export function runOpenAIRequestCase(body: unknown): unknown {
  const translated = chatCompletionToRouterRequest(body, GOLDEN_CALLER);
  return { stream: translated.stream, includeUsage: translated.includeUsage, requestedModel: translated.requestedModel, request: requestJson(translated.request) };
}

/** Anthropic body → { request (protobuf JSON), stream flag }. */
export function runAnthropicRequestCase(body: unknown): unknown {
  const translated = messagesToRouterRequest(body, GOLDEN_CALLER);
  return { stream: translated.stream, requestedModel: translated.requestedModel, request: requestJson(translated.request) };
}

/** The EdgeRequestError a body must raise, as { field, message }. */
export function runRequestErrorCase(api: 'openai' | 'anthropic', body: unknown): { field: string | null; message: string } {
  try {
    if (api === 'openai') chatCompletionToRouterRequest(body, GOLDEN_CALLER);
    else messagesToRouterRequest(body, GOLDEN_CALLER);
  } catch (error) {
    if (error instanceof EdgeRequestError) return { field: error.field ?? null, message: error.message };
    throw error;
  }
  throw new Error('expected an EdgeRequestError');
}

/** A router response → both APIs' bodies. */
export function runResponseCase(response: JsonValue): ResponseCase['expected'] {
  const message = fromJson(router.GenerateResponseSchema, response);
  return {
    openai: routerResponseToChatCompletion(message, { ...IDENTITY, id: 'chatcmpl-req-golden' }),
    anthropic: routerResponseToAnthropicMessage(message, { ...IDENTITY, id: 'msg_req-golden' }),
  };
}

/** Router stream events → OpenAI chunks (without and with usage) and Anthropic events. */
export function runStreamCase(events: JsonValue[]): StreamCase['expected'] {
  const parsed = events.map((event) => fromJson(router.StreamGenerateResponseSchema, event));
  const openai = (includeUsage: boolean) => {
    const encoder = createChatChunkEncoder({ id: 'chatcmpl-req-golden', created: IDENTITY.created, model: 'switchyard/auto', includeUsage });
    return parsed.flatMap((event) => encoder.encode(event));
  };
  const anthropic = createMessageEventEncoder({ id: 'msg_req-golden', model: 'switchyard/auto' });
  return { openai: openai(false), openaiWithUsage: openai(true), anthropic: parsed.flatMap((event) => anthropic.encode(event)) };
}
