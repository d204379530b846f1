import { common } from '@switchyard/contracts';
import type { PromptFeatures } from '@switchyard/classifier';
import type { RoutedRequest } from './request-validation';

/** What routing needs to know about a prompt, read in one pass without a tokenizer. */
export interface PromptReading {
  /** Input to the classifier: the last user turn, cut to a bounded head and tail. */
  features: PromptFeatures;
  /** Estimated prompt tokens (about 4 characters a token, plus per-message and per-image overheads). */
  estimatedInputTokens: number;
  needs: { tools: boolean; jsonOutput: boolean; structuredOutput: boolean; vision: boolean; streaming: boolean };
}

const MESSAGE_OVERHEAD_TOKENS = 4;
const IMAGE_TOKENS = { low: 85, other: 1100 };
const TOOL_OVERHEAD_TOKENS = 60;

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

/**
 * Reads a validated request: the classifier's input, an estimate of its prompt tokens, and the
 * capabilities a model needs to serve it. A character estimate keeps this in microseconds; it
 * only has to be good enough for context-window checks and cost estimates (billing uses real usage).
 */
export function readPrompt(request: RoutedRequest, options: { maxClassifierChars: number; streaming: boolean }): PromptReading {
  let chars = 0;
  let tokens = 0;
  let vision = false;
  let toolTraffic = false;
  let lastUser: common.ChatMessage | undefined;
  for (const message of request.messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS;
    for (const part of message.parts) {
      if (part.kind.case === 'text') chars += part.kind.value.length;
      else if (part.kind.case === 'image') {
        vision = true;
        tokens += part.kind.value.detail === 'low' ? IMAGE_TOKENS.low : IMAGE_TOKENS.other;
      }
    }
    for (const call of message.toolCalls) chars += call.name.length + call.argumentsJson.length;
    if (message.toolCalls.length > 0 || message.role === common.Role.TOOL) toolTraffic = true;
    if (message.role === common.Role.USER) lastUser = message;
  }
  const params = request.params;
  const tools = params?.tools ?? [];
  for (const tool of tools) {
    tokens += TOOL_OVERHEAD_TOKENS;
    chars += tool.name.length + tool.description.length;
  }
  tokens += Math.ceil(chars / 4);
  const format = params?.responseFormat?.type ?? common.ResponseFormatType.UNSPECIFIED;
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
    needs: { tools: (tools.length > 0 && !toolChoiceNone) || toolTraffic, jsonOutput, structuredOutput, vision, streaming: options.streaming },
  };
}
