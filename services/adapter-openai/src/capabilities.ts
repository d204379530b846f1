import { MINIMAL_CAPABILITIES, type ServedModelCapabilities } from '@switchyard/provider-kit';

const GPT_4O: ServedModelCapabilities = {
  contextWindowTokens: 128_000,
  maxOutputTokens: 16_384,
  tools: true,
  jsonOutput: true,
  structuredOutput: true,
  vision: true,
  streaming: true,
};
const GPT_41: ServedModelCapabilities = { ...GPT_4O, contextWindowTokens: 1_047_576, maxOutputTokens: 32_768 };
const O_SERIES: ServedModelCapabilities = { ...GPT_4O, contextWindowTokens: 200_000, maxOutputTokens: 100_000 };

/**
 * What OpenAI's Chat Completions API supports per model, as of the SDK this adapter pins. A config
 * entry's `capabilities` override these field by field; unknown models get the minimal set until
 * the operator describes them.
 */
export const OPENAI_MODEL_CAPABILITIES: Readonly<Record<string, ServedModelCapabilities>> = {
  'gpt-4o': GPT_4O,
  'gpt-4o-mini': GPT_4O,
  'gpt-4.1': GPT_41,
  'gpt-4.1-mini': GPT_41,
  'gpt-4.1-nano': GPT_41,
  'o4-mini': O_SERIES,
};

/** Models served when the config lists none. */
export const OPENAI_DEFAULT_MODELS: readonly string[] = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o4-mini'];

/** Capabilities of an OpenAI model id (dated snapshots such as `gpt-4o-2024-08-06` take their family's). */
export function openAIModelCapabilities(id: string): ServedModelCapabilities {
  const family = Object.keys(OPENAI_MODEL_CAPABILITIES)
    .sort((a, b) => b.length - a.length)
    .find((name) => id === name || id.startsWith(`${name}-`));
  return (family && OPENAI_MODEL_CAPABILITIES[family]) || MINIMAL_CAPABILITIES;
}
