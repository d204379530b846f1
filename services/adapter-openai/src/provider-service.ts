import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import {
  createChatCompletionsService,
  OPENAI_DIALECT,
  type ChatCallOptions,
  type ChatCompletionsTransport,
  type ChatDialect,
} from '@switchyard/openai-chat';
import { createUpstreamFetch, type ServedModelCatalog } from '@switchyard/provider-kit';
import type { ProviderServiceImplementation } from '@switchyard/sdk';
import { describeOpenAIError } from './errors';

/** Options of {@link createOpenAIClient}. */
export interface OpenAIClientOptions {
  /** From the operator's config only, never from a request. */
  baseURL: string;
  apiKey: string;
  /** Default upstream timeout, ms (each call passes its own, cut to its deadline). */
  timeoutMs: number;
  organization?: string;
  project?: string;
  /** Extra headers on every request. */
  extraHeaders?: Record<string, string>;
  /** The transport; default provider-kit's keep-alive upstream fetch. */
  fetch?: typeof fetch;
}

/**
 * The official SDK client as every OpenAI-wire adapter uses it: no SDK retries (the router decides
 * retries and fallbacks) and no SDK logging (its stream errors would log completion text).
 */
export function createOpenAIClient(options: OpenAIClientOptions): OpenAI {
  return new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    organization: options.organization ?? null,
    project: options.project ?? null,
    timeout: options.timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
    defaultHeaders: options.extraHeaders,
    // keep-alive node:http instead of the built-in fetch: half the CPU per upstream call (docs/benchmarks.md).
    fetch: options.fetch ?? createUpstreamFetch().fetch,
  });
}

/** Options of {@link createOpenAIProviderService}. */
export interface OpenAIProviderServiceOptions {
  /** The SDK client (see {@link createOpenAIClient}). */
  client: OpenAI;
  /** The models served, with prices. */
  catalog: ServedModelCatalog;
  /** Upstream timeout per request, ms; each call cuts it to its deadline. */
  upstreamTimeoutMs: number;
  /** Wire differences; OpenAI's own by default. */
  dialect?: ChatDialect;
}

/**
 * ProviderService for OpenAI over Chat Completions. This file is the only one that calls the SDK;
 * translation lives in @switchyard/openai-chat (pure, golden-tested), error mapping in errors.ts.
 */
export function createOpenAIProviderService(options: OpenAIProviderServiceOptions): ProviderServiceImplementation {
  const { client } = options;
  const requestOptions = (call: ChatCallOptions) => ({
    signal: call.signal,
    timeout: call.timeoutMs,
    maxRetries: 0,
    ...(call.requestId ? { headers: { 'X-Client-Request-Id': call.requestId } } : {}),
  });
  // The translators type the wire structurally; the SDK's param types are the same JSON, named differently.
  const transport: ChatCompletionsTransport = {
    complete: (body, call) =>
      client.chat.completions.create(body as ChatCompletionCreateParamsNonStreaming, requestOptions(call)),
    stream: async (body, call) =>
      client.chat.completions.create(body as ChatCompletionCreateParamsStreaming, requestOptions(call)),
  };
  return createChatCompletionsService({
    catalog: options.catalog,
    dialect: options.dialect ?? OPENAI_DIALECT,
    transport,
    describeError: describeOpenAIError,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
  });
}
