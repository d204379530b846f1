import { loadConfig } from '@switchyard/config';
import { adapterConfigBaseSchema, upstreamConfigSchema } from '@switchyard/provider-kit';
import { z } from 'zod';
import { ANTHROPIC_DEFAULT_MODELS } from './capabilities';

/**
 * adapter-anthropic's config (file + `SWITCHYARD_*` environment overrides, see @switchyard/config):
 *
 * ```yaml
 * listen: 0.0.0.0:50062
 * deployment: anthropic-default
 * upstream: { baseUrl: https://api.anthropic.com, apiKeyEnv: ANTHROPIC_API_KEY, timeoutMs: 120000 }
 * defaultMaxOutputTokens: 4096
 * models: [{ id: claude-haiku-4-5 }, { id: claude-sonnet-4-5 }]
 * ```
 */
export const anthropicAdapterConfigSchema = adapterConfigBaseSchema.extend({
  provider: z.string().min(1).default('anthropic'),
  deployment: z.string().min(1).default('anthropic-default'),
  upstream: upstreamConfigSchema
    .extend({
      baseUrl: upstreamConfigSchema.shape.baseUrl.default('https://api.anthropic.com'),
      apiKeyEnv: z.string().min(1).default('ANTHROPIC_API_KEY'),
    })
    .prefault({}),
  /** `max_tokens` when a request sets no limit (the Messages API requires one); capped at the model's maximum. */
  defaultMaxOutputTokens: z.number().int().positive().default(4096),
  models: adapterConfigBaseSchema.shape.models.default(ANTHROPIC_DEFAULT_MODELS.map((id) => ({ id }))),
});

/** The parsed, typed config. */
export type AnthropicAdapterConfig = z.infer<typeof anthropicAdapterConfigSchema>;

/**
 * Reads the config once: the YAML file named by `SWITCHYARD_CONFIG_FILE` (optional), then
 * `SWITCHYARD_*` overrides (`SWITCHYARD_UPSTREAM__BASE_URL` sets `upstream.baseUrl`). Only main.ts
 * passes `process.env`.
 */
export function loadAnthropicAdapterConfig(env: Record<string, string | undefined>): Readonly<AnthropicAdapterConfig> {
  return loadConfig(anthropicAdapterConfigSchema, { file: env.SWITCHYARD_CONFIG_FILE || undefined, env, envPrefix: 'SWITCHYARD_' });
}
