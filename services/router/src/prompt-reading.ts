import { common } from '@switchyard/contracts';
import type { PromptFeatures } from '@switchyard/classifier';
import type { RoutedRequest } from './request-validation';

/** What routing needs to know about a prompt, read in one pass without a tokenizer. */
export interface PromptReading {
  /** Input to the classifier: the last user turn, cut to a bounded head and tail. */
  features: PromptFeatures;
  /**
   * Typical prompt tokens, for routing (context-window checks, expected cost, ExplainRoute): UTF-16
   * code units / 4 plus 3/8 token per UTF-8 byte beyond the first of each character (≈ 1 token per
   * CJK character), plus per-message, per-image and per-tool overheads.
   */
  estimatedInputTokens: number;
  /**
   * An upper bound on prompt tokens, which the budget hold is priced on: one token per UTF-8 byte of
   * every text the model reads (no tokenizer emits a token that covers less than one byte), plus
   * generous per-message, per-image and per-tool allowances. See docs/router.md, "Budget".
   */
  maxInputTokens: number;
  needs: { tools: boolean; jsonOutput: boolean; structuredOutput: boolean; vision: boolean; streaming: boolean };
}

const MESSAGE_OVERHEAD_TOKENS = 4;
const IMAGE_TOKENS = { low: 85, other: 1100 };
const TOOL_OVERHEAD_TOKENS = 60;
// Allowances of the upper bound: chat-format tokens per message and per request (OpenAI counts 3–4 per
// message and 3 to prime the reply), tool-definition framing, and the largest image any catalog provider
// bills (gpt-4.1-nano: 1536 patches × 2.46 ≈ 3,780; gpt-4o high detail ≤ 1,445; Claude ≈ 1,600).
const MAX_MESSAGE_OVERHEAD_TOKENS = 8;
const MAX_REQUEST_OVERHEAD_TOKENS = 8;
const MAX_TOOL_OVERHEAD_TOKENS = 16;
const MAX_IMAGE_TOKENS = 3800;

function textOf(message: common.ChatMessage): string {
  let text = '';
  for (const part of message.parts) if (part.kind.case === 'text') text += text ? `\n${part.kind.value}` : part.kind.value;
  return text;
}

/** The head and tail of `text` within `maxChars` (the question is usually at one end). */
export function boundedText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = Math.floor(maxChars * 0.75);
  return `${text.slice(0, head)}\n${text.slice(text.length - (maxChars - head - 1))}`;
}

/** UTF-8 size of a string (0 for an empty one, without the native call). */
const utf8Bytes = (text: string) => (text.length === 0 ? 0 : Buffer.byteLength(text, 'utf8'));

/** UTF-8 size of a JSON value as a provider would receive it (tool and response schemas). */
function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : utf8Bytes(JSON.stringify(value) ?? '');
}

/**
 * Reads a validated request: the classifier's input, a typical and a maximal count of its prompt
 * tokens, and the capabilities a model needs to serve it. Lengths and UTF-8 byte counts (native, no
 * per-character loop in JavaScript) keep this in microseconds; billing uses the upstream's real usage.
 */
export function readPrompt(request: RoutedRequest, options: { maxClassifierChars: number; streaming: boolean }): PromptReading {
  // UTF-16 code units and UTF-8 bytes of everything the model reads as text.
  let units = 0;
  let bytes = 0;
  let tokens = 0;
  let maxTokens = MAX_REQUEST_OVERHEAD_TOKENS;
  let vision = false;
  let toolTraffic = false;
  let lastUser: common.ChatMessage | undefined;
  for (const message of request.messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS;
    maxTokens += MAX_MESSAGE_OVERHEAD_TOKENS;
    for (const part of message.parts) {
      if (part.kind.case === 'text') {
        units += part.kind.value.length;
        bytes += utf8Bytes(part.kind.value);
      }
      else if (part.kind.case === 'image') {
        vision = true;
        tokens += part.kind.value.detail === 'low' ? IMAGE_TOKENS.low : IMAGE_TOKENS.other;
        maxTokens += MAX_IMAGE_TOKENS;
      }
    }
    for (const call of message.toolCalls) {
      units += call.name.length + call.argumentsJson.length;
      bytes += utf8Bytes(call.name) + utf8Bytes(call.argumentsJson);
      maxTokens += utf8Bytes(call.id) + MAX_MESSAGE_OVERHEAD_TOKENS;
    }
    maxTokens += utf8Bytes(message.toolCallId) + utf8Bytes(message.name);
    if (message.toolCalls.length > 0 || message.role === common.Role.TOOL) toolTraffic = true;
    if (message.role === common.Role.USER) lastUser = message;
  }
  const params = request.params;
  const tools = params?.tools ?? [];
  for (const tool of tools) {
    tokens += TOOL_OVERHEAD_TOKENS;
    units += tool.name.length + tool.description.length;
    bytes += utf8Bytes(tool.name) + utf8Bytes(tool.description);
    maxTokens += MAX_TOOL_OVERHEAD_TOKENS + jsonBytes(tool.parametersSchema);
  }
  const format = params?.responseFormat?.type ?? common.ResponseFormatType.UNSPECIFIED;
  if (format === common.ResponseFormatType.JSON_SCHEMA) maxTokens += MAX_TOOL_OVERHEAD_TOKENS + jsonBytes(params?.responseFormat?.jsonSchema);
  // Typical: ~4 characters a token for Latin text; each extra UTF-8 byte of a character adds 3/8, so a
  // CJK character (3 bytes) counts 1 token, a Cyrillic one (2 bytes) 0.625.
  tokens += Math.ceil(units / 4 + ((bytes - units) * 3) / 8);
  maxTokens += bytes;
  const toolChoiceNone = params?.toolChoice?.mode === common.ToolChoiceMode.NONE;
  const jsonOutput = format === common.ResponseFormatType.JSON_OBJECT;
  const structuredOutput = format === common.ResponseFormatType.JSON_SCHEMA;
  return {
    features: {
      text: boundedText(lastUser ? textOf(lastUser) : '', options.maxClassifierChars),
      hasTools: tools.length > 0 && !toolChoiceNone,
      wantsJson: jsonOutput || structuredOutput,
    },
    estimatedInputTokens: tokens,
    maxInputTokens: Math.max(tokens, maxTokens),
    needs: { tools: (tools.length > 0 && !toolChoiceNone) || toolTraffic, jsonOutput, structuredOutput, vision, streaming: options.streaming },
  };
}
