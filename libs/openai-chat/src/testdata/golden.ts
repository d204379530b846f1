// Test support for the golden tests: runs the translators over the cases in this folder and returns
// what each case produces, as JSON, so the spec compares it with the stored `expected`.
import { create, fromJson, toJson, type JsonValue } from '@bufbuild/protobuf';
import { provider } from '@switchyard/contracts';
import { COMPATIBLE_DIALECT, OPENAI_DIALECT, type ChatDialect } from '../chat-dialect';
import { toChatCompletionRequest } from '../chat-request';
import { fromChatCompletion } from '../chat-response';
import { createChatStreamTranslator, toStreamFinal } from '../chat-stream';
import type { ChatCompletion, ChatCompletionChunk } from '../chat-wire';

/** Dialects the cases name. */
export const GOLDEN_DIALECTS: Record<string, ChatDialect> = {
  openai: OPENAI_DIALECT,
  'openai-developer': { ...OPENAI_DIALECT, systemRole: 'developer' },
  compatible: COMPATIBLE_DIALECT,
  'compatible-no-stream-usage': { ...COMPATIBLE_DIALECT, streamUsage: false },
};

export interface RequestCase {
  name: string;
  dialect: string;
  stream: boolean;
  upstreamModel?: string;
  input: JsonValue;
  expected?: unknown;
}

export function runRequestCase(testCase: RequestCase): unknown {
  const input = fromJson(provider.GenerateRequestSchema, testCase.input);
  const dialect = GOLDEN_DIALECTS[testCase.dialect];
  if (!dialect) throw new Error(`unknown dialect ${testCase.dialect}`);
  return JSON.parse(JSON.stringify(toChatCompletionRequest(input, { dialect, stream: testCase.stream, upstreamModel: testCase.upstreamModel })));
}

export interface ResponseCase {
  name: string;
  input: ChatCompletion;
  expected?: unknown;
}

export function runResponseCase(testCase: ResponseCase): unknown {
  return toJson(provider.GenerateResponseSchema, create(provider.GenerateResponseSchema, fromChatCompletion(testCase.input)));
}

export interface StreamCase {
  name: string;
  chunks: ChatCompletionChunk[];
  expected?: unknown;
}

export function runStreamCase(testCase: StreamCase): unknown {
  const translator = createChatStreamTranslator();
  const events: JsonValue[] = [];
  for (const chunk of testCase.chunks) {
    for (const event of translator.accept(chunk)) {
      events.push(toJson(provider.StreamGenerateResponseSchema, create(provider.StreamGenerateResponseSchema, event)));
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
