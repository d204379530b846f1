import { common, type router } from '@switchyard/contracts';
import { messageText } from '@switchyard/sdk';
import type { ResponseIdentity } from '../api-dialect';
import { openAIUsage, reportedModel } from './openai-response';
import { switchyardExtension } from './route-summary';

/** Ids of the output items of one response, derived from its `resp_…` id so they are stable and unique. */
export function outputItemId(identity: Pick<ResponseIdentity, 'id'>, kind: 'msg' | 'fc', index: number): string {
  return `${kind}_${identity.id.replace(/^resp_/, '')}_${index}`;
}

/** An `output_text` content part. */
export function outputTextPart(text: string): Record<string, unknown> {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

/** A `message` output item. */
export function messageItem(id: string, status: 'in_progress' | 'completed' | 'incomplete', content: Record<string, unknown>[]): Record<string, unknown> {
  return { id, type: 'message', status, role: 'assistant', content };
}

/** A `function_call` output item. */
export function functionCallItem(id: string, status: 'in_progress' | 'completed' | 'incomplete', call: { id: string; name: string; argumentsJson: string }): Record<string, unknown> {
  return { id, type: 'function_call', status, call_id: call.id, name: call.name, arguments: call.argumentsJson };
}

/**
 * The Responses `usage`: Chat Completions' token counts (openAIUsage, which adds cached input
 * back into the input count as OpenAI does) under the Responses API's names.
 */
export function responsesUsage(usage: common.TokenUsage | undefined): Record<string, unknown> {
  const counts = openAIUsage(usage) as {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number };
    completion_tokens_details: { reasoning_tokens: number };
  };
  return {
    input_tokens: counts.prompt_tokens,
    input_tokens_details: { cached_tokens: counts.prompt_tokens_details.cached_tokens },
    output_tokens: counts.completion_tokens,
    output_tokens_details: { reasoning_tokens: counts.completion_tokens_details.reasoning_tokens },
    total_tokens: counts.total_tokens,
  };
}

/** `status` and `incomplete_details` for a finish reason: a length or content-filter stop is `incomplete`. */
export function responseStatus(reason: common.FinishReason): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (reason === common.FinishReason.LENGTH) return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (reason === common.FinishReason.CONTENT_FILTER) return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/**
 * The Response object around `output`. Request parameters (instructions, tools, temperature…)
 * are not echoed: the edge answers from the router's reply, and Switchyard stores no responses.
 */
export function responseObject(identity: ResponseIdentity, fields: { model: string; status: string; output: unknown[] } & Record<string, unknown>): Record<string, unknown> {
  return { id: identity.id, object: 'response', created_at: identity.created, error: null, incomplete_details: null, usage: null, ...fields };
}

/** Translates a router GenerateResponse into a `response` body. Pure. */
export function routerResponseToResponse(response: router.GenerateResponse, identity: ResponseIdentity): Record<string, unknown> {
  const text = messageText(response.message);
  const toolCalls = response.message?.toolCalls ?? [];
  const output: Record<string, unknown>[] = [];
  if (text !== '' || toolCalls.length === 0) {
    const refused = response.finishReason === common.FinishReason.REFUSAL;
    output.push(messageItem(outputItemId(identity, 'msg', 0), 'completed', [refused ? { type: 'refusal', refusal: text } : outputTextPart(text)]));
  }
  for (const call of toolCalls) {
    output.push(functionCallItem(outputItemId(identity, 'fc', output.length), 'completed', { ...call, argumentsJson: call.argumentsJson || '{}' }));
  }
  return responseObject(identity, {
    model: reportedModel(response.responseModel, response.route, identity.requestedModel),
    ...responseStatus(response.finishReason),
    output,
    usage: responsesUsage(response.usage),
    switchyard: switchyardExtension(response),
  });
}
