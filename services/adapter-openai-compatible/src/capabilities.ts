import type { ChatDialect } from '@switchyard/openai-chat';
import type { ServedModelCapabilities } from '@switchyard/provider-kit';
import type { Quirks } from './config';

/**
 * A model's capabilities on this deployment: what the config says of the model, limited by what
 * the server supports at all (a vLLM started without a tool parser cannot call tools, whatever the model).
 */
export function deploymentCapabilities(model: ServedModelCapabilities, quirks: Quirks): ServedModelCapabilities {
  return {
    ...model,
    tools: model.tools && quirks.supportsTools,
    jsonOutput: model.jsonOutput && quirks.supportsJsonObject,
    structuredOutput: model.structuredOutput && quirks.supportsJsonSchema,
    vision: model.vision && quirks.supportsVision,
  };
}

/** The wire dialect the translators use for this deployment's server. */
export function dialectFromQuirks(quirks: Quirks): ChatDialect {
  return {
    maxTokensField: quirks.maxTokensField,
    streamUsage: quirks.supportsStreamOptions,
    endUserField: quirks.endUserField,
    systemRole: quirks.systemRole,
  };
}
