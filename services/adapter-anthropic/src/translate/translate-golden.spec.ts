import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { provider } from '@switchyard/contracts';
import { RequestTranslationError } from '@switchyard/provider-kit';
import { toMessagesRequest } from './request';
import { runRequestCase, runResponseCase, runStreamCase, type RequestCase, type ResponseCase, type StreamCase } from './testdata/golden';
import requestCases from './testdata/request-cases.json';
import requestErrors from './testdata/request-errors.json';
import responseCases from './testdata/response-cases.json';
import streamCases from './testdata/stream-cases.json';

describe('golden: our request → Anthropic Messages body', () => {
  it.each((requestCases as unknown as RequestCase[]).map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    expect(runRequestCase(testCase)).toEqual(testCase.expected);
  });
});

describe('golden: requests the Messages API cannot carry', () => {
  it.each((requestErrors as unknown as Array<{ name: string; input: JsonValue; field: string }>).map((c) => [c.name, c] as const))(
    '%s',
    (_name, testCase) => {
      const input = fromJson(provider.GenerateRequestSchema, testCase.input);
      let caught: unknown;
      try {
        toMessagesRequest(input, { stream: false, defaultMaxTokens: 1024 });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(RequestTranslationError);
      expect((caught as RequestTranslationError).field).toBe(testCase.field);
    },
  );
});

describe('golden: Anthropic message → our GenerateResponse', () => {
  it.each((responseCases as unknown as ResponseCase[]).map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    expect(runResponseCase(testCase)).toEqual(testCase.expected);
  });
});

describe('golden: Messages stream events → our stream events', () => {
  it.each((streamCases as unknown as StreamCase[]).map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    expect(runStreamCase(testCase)).toEqual(testCase.expected);
  });
});
