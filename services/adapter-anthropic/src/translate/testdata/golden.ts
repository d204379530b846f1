// Test support for the golden tests: runs the translators over the cases in this folder and returns
// what each case produces, as JSON, so the spec compares it with the stored `expected`.
import { create, fromJson, toJson, type JsonValue } from '@bufbuild/protobuf';
import { provider } from '@switchyard/contracts';
import { toMessagesRequest } from '../request';
import { fromAnthropicMessage, type AnthropicMessage } from '../response';
import { createMessageStreamTranslator, toStreamFinal } from '../stream';

/** `max_tokens` the cases use when a request sets none. */
export const GOLDEN_DEFAULT_MAX_TOKENS = 4096;

export interface RequestCase {
  name: string;
  stream: boolean;
  upstreamModel?: string;
  input: JsonValue;
  expected?: unknown;
}

export function runRequestCase(testCase: RequestCase): unknown {
  const input = fromJson(provider.GenerateRequestSchema, testCase.input);
  const body = toMessagesRequest(input, { stream: testCase.stream, defaultMaxTokens: GOLDEN_DEFAULT_MAX_TOKENS, upstreamModel: testCase.upstreamModel });
  return JSON.parse(JSON.stringify(body));
}

export interface ResponseCase {
  name: string;
  input: AnthropicMessage;
  expected?: unknown;
}

export function runResponseCase(testCase: ResponseCase): unknown {
  return toJson(provider.GenerateResponseSchema, create(provider.GenerateResponseSchema, fromAnthropicMessage(testCase.input)));
}

export interface StreamCase {
  name: string;
  events: Array<{ type: string }>;
  expected?: unknown;
}

export function runStreamCase(testCase: StreamCase): unknown {
  const translator = createMessageStreamTranslator();
  const events: JsonValue[] = [];
  for (const event of testCase.events) {
    for (const out of translator.accept(event)) {
      events.push(toJson(provider.StreamGenerateResponseSchema, create(provider.StreamGenerateResponseSchema, out)));
    }
  }
  const summary = translator.summary();
  return {
    events,
    final: toJson(provider.StreamFinalSchema, create(provider.StreamFinalSchema, toStreamFinal(summary))),
    finished: summary.finished,
    deliveredCharacters: summary.deliveredCharacters,
  };
}
