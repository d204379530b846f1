import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { provider } from '@switchyard/contracts';
import { toChatCompletionRequest } from './chat-request';
import { OPENAI_DIALECT } from './chat-dialect';
import { RequestTranslationError } from '@switchyard/provider-kit';
import { runRequestCase, runResponseCase, runStreamCase, type RequestCase, type ResponseCase, type StreamCase } from './testdata/golden';
import requestCases from './testdata/request-cases.json';
import requestErrors from './testdata/request-errors.json';
import responseCases from './testdata/response-cases.json';
import streamCases from './testdata/stream-cases.json';

describe('golden: our request → Chat Completions body', () => {
  it.each((requestCases as unknown as RequestCase[]).map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    expect(runRequestCase(testCase)).toEqual(testCase.expected);
  });
});

describe('golden: requests the Chat Completions wire cannot carry', () => {
  it.each((requestErrors as unknown as Array<{ name: string; input: JsonValue; field: string }>).map((c) => [c.name, c] as const))(
    '%s',
    (_name, testCase) => {
      const input = fromJson(provider.GenerateRequestSchema, testCase.input);
      let caught: unknown;
      try {
        toChatCompletionRequest(input, { dialect: OPENAI_DIALECT, stream: false });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(RequestTranslationError);
      expect((caught as RequestTranslationError).field).toBe(testCase.field);
    },
  );
});

describe('golden: chat.completion → our GenerateResponse', () => {
  it.each((responseCases as unknown as ResponseCase[]).map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    expect(runResponseCase(testCase)).toEqual(testCase.expected);
  });
});

describe('golden: chat.completion.chunk stream → our stream events', () => {
  it.each((streamCases as unknown as StreamCase[]).map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    expect(runStreamCase(testCase)).toEqual(testCase.expected);
  });
});
