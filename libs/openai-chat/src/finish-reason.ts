import { common } from '@switchyard/contracts';

/**
 * Maps a Chat Completions `finish_reason` to ours. A refusal arrives as `stop` with a `refusal`
 * text, so the caller says whether one was seen. Unknown reasons (servers invent their own, e.g.
 * `eos` or `abort`) map to UNSPECIFIED; the verbatim value still travels as `provider_finish_reason`.
 */
export function chatFinishReason(reason: string | null | undefined, refused = false): common.FinishReason {
  if (refused) return common.FinishReason.REFUSAL;
  switch (reason) {
    case 'stop':
    case 'eos':
      return common.FinishReason.STOP;
    case 'length':
      return common.FinishReason.LENGTH;
    case 'tool_calls':
    case 'function_call':
      return common.FinishReason.TOOL_CALLS;
    case 'content_filter':
      return common.FinishReason.CONTENT_FILTER;
    default:
      return common.FinishReason.UNSPECIFIED;
  }
}
