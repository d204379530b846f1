import { loadConfig } from '@switchyard/config';
import { adapterConfigBaseSchema, upstreamConfigSchema } from '@switchyard/provider-kit';
import { z } from 'zod';
import { OPENAI_DEFAULT_MODELS } from './capabilities';

/**
 * adapter-openai's config (file + `SWITCHYARD_*` environment overrides, see @switchyard/config):
 *
 * ```yaml
 * listen: 0.0.0.0:50061
 * deployment: openai-default
 * upstream: { baseUrl: https://api.openai.com/v1, apiKeyEnv: OPENAI_API_KEY, timeoutMs: 120000 }
 * models: [{ id: gpt-4o-mini }, { id: gpt-4o }]
 * ```
 */
export const openAIAdapterConfigSchema = adapterConfigBaseSchema.extend({
  provider: z.string().min(1).default('openai'),
  deployment: z.string().min(1).default('openai-default'),
  upstream: upstreamConfigSchema
    .extend({
      baseUrl: upstreamConfigSchema.shape.baseUrl.default('https://api.openai.com/v1'),
      apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY'),
      /** OpenAI organization id, sent as `OpenAI-Organization`. */
      organization: z.string().optional(),
      /** OpenAI project id, sent as `OpenAI-Project`. */
      project: z.string().optional(),
    })
    .prefault({}),
  models: adapterConfigBaseSchema.shape.models.default(OPENAI_DEFAULT_MODELS.map((id) => ({ id }))),
});

/** The parsed, typed config. */
export type OpenAIAdapterConfig = z.infer<typeof openAIAdapterConfigSchema>;

/**
 * Reads the config once: the YAML file named by `SWITCHYARD_CONFIG_FILE` (optional), then
 * `SWITCHYARD_*` overrides (`SWITCHYARD_UPSTREAM__BASE_URL` sets `upstream.baseUrl`). Only main.ts
 * passes `process.env`.
 */
export function loadOpenAIAdapterConfig(env: Record<string, string | undefined>): Readonly<OpenAIAdapterConfig> {
  return loadConfig(openAIAdapterConfigSchema, { file: env.SWITCHYARD_CONFIG_FILE || undefined, env, envPrefix: 'SWITCHYARD_' });
}
