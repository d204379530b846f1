// Whether prompt and completion text may go on spans. Off unless the operator opts in (startTelemetry's
// captureContent, or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true); kept in one place so
// every helper that could write content checks the same switch.
import type { Span } from '@opentelemetry/api';
import { GEN_AI_INPUT_MESSAGES, GEN_AI_OUTPUT_MESSAGES } from './gen-ai-attributes';

let captureEnabled = false;

/** Set by startTelemetry; tests may flip it. */
export function setContentCapture(enabled: boolean): void {
  captureEnabled = enabled;
}

/** True when the operator opted in to recording prompt and completion text. */
export function isContentCaptureEnabled(): boolean {
  return captureEnabled;
}

/** One message's text, as the helpers accept it. */
export interface ContentMessage {
  role: string;
  text: string;
  /** Output messages only: why generation stopped. */
  finishReason?: string;
}

/**
 * Records the input and/or output messages on `span` as `gen_ai.input.messages` /
 * `gen_ai.output.messages` (the GenAI conventions' JSON shape) — only when content capture is on;
 * otherwise does nothing, so callers may call it unconditionally.
 */
export function recordGenAiContent(span: Span, content: { input?: readonly ContentMessage[]; output?: readonly ContentMessage[] }): void {
  if (!captureEnabled) return;
  const toJson = (messages: readonly ContentMessage[]) =>
    JSON.stringify(
      messages.map((m) => ({
        role: m.role,
        parts: [{ type: 'text', content: m.text }],
        ...(m.finishReason ? { finish_reason: m.finishReason } : {}),
      })),
    );
  if (content.input) span.setAttribute(GEN_AI_INPUT_MESSAGES, toJson(content.input));
  if (content.output) span.setAttribute(GEN_AI_OUTPUT_MESSAGES, toJson(content.output));
}
