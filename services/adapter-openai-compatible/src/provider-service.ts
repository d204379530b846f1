import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { createChatCompletionsService, type ChatCallOptions, type ChatDialect } from '@switchyard/openai-chat';
import { createUpstreamFetch, type ServedModelCatalog } from '@switchyard/provider-kit';
import type { ProviderServiceImplementation } from '@switchyard/sdk';
import { describeOpenAIError } from './errors';

/** Options of {@link createCompatibleClient}. */
export interface CompatibleClientOptions {
  /** The server's API root, from the operator's config only (never from a request). */
  baseURL: string;
  /** The server's key; keyless servers get a placeholder (the SDK insists on one). */
  apiKey?: string;
  timeoutMs: number;
  /** Extra headers on every request (e.g. DashScope workspace or gateway routing headers). */
  extraHeaders?: Record<string, string>;
  /** The transport; default provider-kit's keep-alive upstream fetch. */
  fetch?: typeof fetch;
}

/** The official `openai` SDK pointed at an OpenAI-compatible server: no SDK retries, no SDK logging. */
export function createCompatibleClient(options: CompatibleClientOptions): OpenAI {
  return new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey ?? 'no-key',
    organization: null,
    project: null,
    timeout: options.timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
    defaultHeaders: options.extraHeaders,
    // keep-alive node:http instead of the built-in fetch: half the CPU per upstream call (docs/benchmarks.md).
    fetch: options.fetch ?? createUpstreamFetch().fetch,
  });
}

/** Options of {@link createCompatibleProviderService}. */
export interface CompatibleProviderServiceOptions {
  client: OpenAI;
  catalog: ServedModelCatalog;
  /** The server's wire differences (from the config's quirks). */
  dialect: ChatDialect;
  /** Upstream timeout per request, ms; each call cuts it to its deadline. */
  upstreamTimeoutMs: number;
}

/**
 * ProviderService for one OpenAI-compatible deployment. This file is the only one that calls the
 * SDK; translation and streaming live in @switchyard/openai-chat, error mapping in errors.ts.
 */
export function createCompatibleProviderService(options: CompatibleProviderServiceOptions): ProviderServiceImplementation {
  const { client } = options;
  const requestOptions = (call: ChatCallOptions) => ({ signal: call.signal, timeout: call.timeoutMs, maxRetries: 0 });
  return createChatCompletionsService({
    catalog: options.catalog,
    dialect: options.dialect,
    // The translators type the wire structurally; the SDK's param types are the same JSON, named differently.
    transport: {
      complete: (body, call) => client.chat.completions.create(body as ChatCompletionCreateParamsNonStreaming, requestOptions(call)),
      stream: async (body, call) => client.chat.completions.create(body as ChatCompletionCreateParamsStreaming, requestOptions(call)),
    },
    describeError: describeOpenAIError,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
  });
}
