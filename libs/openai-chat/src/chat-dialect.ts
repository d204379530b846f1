/**
 * How one Chat Completions server differs from another on the wire. OpenAI itself and every
 * OpenAI-compatible server (vLLM, Ollama, llama.cpp, DashScope compatible mode...) are described by
 * one of these; a new deployment is a new value, never new code.
 */
export interface ChatDialect {
  /**
   * The body field that carries the output-token limit. OpenAI wants `max_completion_tokens`
   * (reasoning models reject `max_tokens`); most compatible servers only know `max_tokens`.
   */
  readonly maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Send `stream_options: { include_usage: true }` so the last chunk carries usage. */
  readonly streamUsage: boolean;
  /** Where the caller's opaque end-user id goes (`none`: dropped). */
  readonly endUserField: 'user' | 'safety_identifier' | 'none';
  /** The role system instructions are sent with. */
  readonly systemRole: 'system' | 'developer';
}

/** OpenAI's own API. */
export const OPENAI_DIALECT: ChatDialect = Object.freeze({
  maxTokensField: 'max_completion_tokens',
  streamUsage: true,
  endUserField: 'safety_identifier',
  systemRole: 'system',
});

/** A conservative default for OpenAI-compatible servers. */
export const COMPATIBLE_DIALECT: ChatDialect = Object.freeze({
  maxTokensField: 'max_tokens',
  streamUsage: true,
  endUserField: 'user',
  systemRole: 'system',
});
