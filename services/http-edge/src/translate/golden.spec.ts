import anthropicRequestCases from './testdata/anthropic-request-cases.json';
import anthropicRequestErrors from './testdata/anthropic-request-errors.json';
import {
  runAnthropicRequestCase,
  runOpenAIRequestCase,
  runRequestErrorCase,
  runResponseCase,
  runStreamCase,
  type RequestCase,
  type RequestErrorCase,
  type ResponseCase,
  type StreamCase,
} from './testdata/golden';
import openaiRequestCases from './testdata/openai-request-cases.json';
import openaiRequestErrors from './testdata/openai-request-errors.json';
import responseCases from './testdata/response-cases.json';
import streamCases from './testdata/stream-cases.json';

const named = <T extends { name: string }>(cases: unknown) => (cases as T[]).map((c) => [c.name, c] as const);

describe('golden: OpenAI Chat Completions body → router GenerateRequest', () => {
  it.each(named<RequestCase>(openaiRequestCases))('%s', (_name, testCase) => {
    expect(runOpenAIRequestCase(testCase.body)).toEqual(testCase.expected);
  });
});

describe('golden: OpenAI bodies the edge refuses, naming the field', () => {
  it.each(named<RequestErrorCase>(openaiRequestErrors))('%s', (_name, testCase) => {
    expect(runRequestErrorCase('openai', testCase.body)).toEqual(testCase.expected);
  });
});

describe('golden: Anthropic Messages body → router GenerateRequest', () => {
  it.each(named<RequestCase>(anthropicRequestCases))('%s', (_name, testCase) => {
    expect(runAnthropicRequestCase(testCase.body)).toEqual(testCase.expected);
  });
});

describe('golden: Anthropic bodies the edge refuses, naming the field', () => {
  it.each(named<RequestErrorCase>(anthropicRequestErrors))('%s', (_name, testCase) => {
    expect(runRequestErrorCase('anthropic', testCase.body)).toEqual(testCase.expected);
  });
});

describe('golden: router GenerateResponse → chat.completion and message bodies', () => {
  it.each(named<ResponseCase>(responseCases))('%s', (_name, testCase) => {
    expect(runResponseCase(testCase.response)).toEqual(testCase.expected);
  });
});

describe('golden: router stream events → OpenAI chunks and Anthropic events', () => {
  it.each(named<StreamCase>(streamCases))('%s', (_name, testCase) => {
    expect(runStreamCase(testCase.events)).toEqual(testCase.expected);
  });
});
