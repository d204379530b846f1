/**
 * The OpenAI Chat Completions wire format, as plain structural types: the subset Switchyard sends
 * and reads. Adapters pass these objects to the official `openai` SDK, whose own types accept them;
 * keeping them here (instead of importing the SDK's) lets this library stay SDK-free, so any
 * OpenAI-compatible adapter can share it.
 */

/** A JSON object (a JSON Schema, tool arguments...). */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonObject | JsonValue[];

/** A text content part. */
export interface ChatTextPart {
  type: 'text';
  text: string;
}

/** An image content part: an https URL or a `data:` URL with the bytes inline. */
export interface ChatImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

/** A function tool call as it appears in an assistant message. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** `system` (or `developer`) message. */
export interface ChatSystemMessage {
  role: 'system' | 'developer';
  content: string;
  name?: string;
}

/** `user` message. */
export interface ChatUserMessage {
  role: 'user';
  content: string | Array<ChatTextPart | ChatImagePart>;
  name?: string;
}

/** `assistant` message, possibly only tool calls. */
export interface ChatAssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ChatToolCall[];
  name?: string;
}

/** `tool` message: the result of one tool call. */
export interface ChatToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string | ChatTextPart[];
}

/** Any request message. */
export type ChatMessageParam = ChatSystemMessage | ChatUserMessage | ChatAssistantMessage | ChatToolMessage;

/** A function tool definition. */
export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: JsonObject; strict?: boolean };
}

/** `tool_choice`. */
export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** `response_format`. */
export type ChatResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: JsonObject; strict?: boolean } };

/** A `POST /chat/completions` body. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessageParam[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
  response_format?: ChatResponseFormat;
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  user?: string;
  safety_identifier?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

/** The `usage` object (completion and last stream chunk). */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/** `choices[].message` of a completion. */
export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal?: string | null;
  tool_calls?: Array<{ id: string; type: string; function?: { name: string; arguments: string } }> | null;
}

/** A non-streamed `chat.completion`. */
export interface ChatCompletion {
  id: string;
  model: string;
  choices: Array<{ index: number; message: ChatCompletionMessage; finish_reason: string | null }>;
  usage?: ChatUsage | null;
}

/** A piece of a streamed tool call. */
export interface ChatToolCallDelta {
  index: number;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/** A `chat.completion.chunk`. */
export interface ChatCompletionChunk {
  id: string;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: string | null;
      content?: string | null;
      refusal?: string | null;
      tool_calls?: ChatToolCallDelta[] | null;
    };
    finish_reason?: string | null;
  }>;
  usage?: ChatUsage | null;
}
