import { common } from '@switchyard/contracts';

/**
 * Maps an Anthropic `stop_reason` to ours. `stop_sequence` is a normal stop; `pause_turn` (a server
 * tool paused a long turn) has no equivalent and maps to UNSPECIFIED. The verbatim value always
 * travels as `provider_finish_reason`.
 */
export function anthropicFinishReason(reason: string | null | undefined): common.FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return common.FinishReason.STOP;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return common.FinishReason.LENGTH;
    case 'tool_use':
      return common.FinishReason.TOOL_CALLS;
    case 'refusal':
      return common.FinishReason.REFUSAL;
    default:
      return common.FinishReason.UNSPECIFIED;
  }
}
