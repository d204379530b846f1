import { MINIMAL_CAPABILITIES, type ServedModelCapabilities } from '@switchyard/provider-kit';

const CLAUDE_4: ServedModelCapabilities = {
  contextWindowTokens: 200_000,
  maxOutputTokens: 64_000,
  tools: true,
  // No native JSON-object mode (JSON_SCHEMA is native). An operator may set `jsonOutput: true` in the
  // config to accept JSON_OBJECT, which the adapter then asks for in the system prompt (translate/request.ts).
  jsonOutput: false,
  structuredOutput: true,
  vision: true,
  streaming: true,
};

/**
 * What the Messages API supports per Claude model, as of the SDK this adapter pins. A config entry's
 * `capabilities` override these field by field; unknown models get the minimal set.
 */
export const ANTHROPIC_MODEL_CAPABILITIES: Readonly<Record<string, ServedModelCapabilities>> = {
  'claude-sonnet-4-5': CLAUDE_4,
  'claude-haiku-4-5': CLAUDE_4,
  'claude-opus-4-1': { ...CLAUDE_4, maxOutputTokens: 32_000 },
  'claude-3-5-haiku': { ...CLAUDE_4, maxOutputTokens: 8192, structuredOutput: false },
};

/** Models served when the config lists none. */
export const ANTHROPIC_DEFAULT_MODELS: readonly string[] = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-1'];

/** Capabilities of a Claude model id (dated snapshots such as `claude-haiku-4-5-20251001` take their family's). */
export function anthropicModelCapabilities(id: string): ServedModelCapabilities {
  const family = Object.keys(ANTHROPIC_MODEL_CAPABILITIES)
    .sort((a, b) => b.length - a.length)
    .find((name) => id === name || id.startsWith(`${name}-`));
  return (family && ANTHROPIC_MODEL_CAPABILITIES[family]) || MINIMAL_CAPABILITIES;
}
