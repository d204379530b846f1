import type { router } from '@switchyard/contracts';
import type { ErrorResponse, HttpFailure } from './translate/http-failure';
import type { GenerateInit, RouterCaller } from './translate/router-caller';

/** One server-sent event: `event` is omitted for OpenAI's data-only streams. */
export interface SseFrame {
  readonly event?: string;
  readonly data: string;
}

/** A request translated for the router, with what the response needs to know. */
export interface TranslatedGeneration {
  readonly request: GenerateInit;
  readonly stream: boolean;
  readonly requestedModel: string;
  /** OpenAI's `stream_options.include_usage`. */
  readonly includeUsage?: boolean;
}

/** Identity of one response. */
export interface ResponseIdentity {
  /** `chatcmpl-…`, `resp_…` or `msg_…`. */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  /** The model asked for. */
  readonly requestedModel: string;
}

/** Encodes router stream events as SSE frames. */
export interface StreamEncoder {
  encode(event: router.StreamGenerateResponse): SseFrame[];
  /** True once the router's final event was encoded. */
  readonly finished: boolean;
  /** Frames for a failure after the stream started, when they depend on the stream so far (Responses' numbered events); default: the dialect's errorFrame. */
  fail?(failure: HttpFailure, requestId?: string): SseFrame[];
}

/**
 * The wire of one public API (OpenAI Chat Completions or Responses, Anthropic Messages): how its requests,
 * replies, streams and errors look. The generation route is written once against this.
 */
export interface ApiDialect {
  readonly name: 'openai' | 'anthropic';
  /** Prefix of response ids. */
  readonly idPrefix: string;
  /** The header this API's SDK reads the request id from. */
  readonly requestIdHeader: string;
  translate(body: unknown, caller: RouterCaller): TranslatedGeneration;
  reply(response: router.GenerateResponse, identity: ResponseIdentity): Record<string, unknown>;
  encoder(identity: ResponseIdentity, options: { model: string; includeUsage: boolean }): StreamEncoder;
  /** Frames after a successful stream's last event (OpenAI's `[DONE]`). */
  readonly doneFrames: readonly SseFrame[];
  errorResponse(failure: HttpFailure, requestId?: string): ErrorResponse;
  /** The frame that reports a failure after the stream has started (the SDKs throw on it). */
  errorFrame(failure: HttpFailure, requestId?: string): SseFrame;
}
