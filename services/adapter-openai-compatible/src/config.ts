import { loadConfig } from '@switchyard/config';
import { adapterConfigBaseSchema, upstreamConfigSchema } from '@switchyard/provider-kit';
import { z } from 'zod';

/**
 * How this deployment's server departs from OpenAI's API. Every known server is a set of these
 * values (see docs/adapters.md), never new code.
 */
export const quirksSchema = z.object({
  /** The output-limit field: `max_tokens` (vLLM, Ollama, llama.cpp, DashScope) or `max_completion_tokens`. */
  maxTokensField: z.enum(['max_tokens', 'max_completion_tokens']).default('max_tokens'),
  /** The server honours `stream_options.include_usage`; when false, streamed usage is estimated and marked so. */
  supportsStreamOptions: z.boolean().default(true),
  /** Where the caller's end-user id goes; `none` drops it (some servers reject unknown fields). */
  endUserField: z.enum(['user', 'safety_identifier', 'none']).default('none'),
  /** Role used for system instructions. */
  systemRole: z.enum(['system', 'developer']).default('system'),
  /** Deployment-wide switches, ANDed into every model's capabilities (e.g. a server started without a tool parser). */
  supportsTools: z.boolean().default(true),
  supportsJsonObject: z.boolean().default(true),
  supportsJsonSchema: z.boolean().default(true),
  supportsVision: z.boolean().default(true),
});

/** The quirks of one deployment. */
export type Quirks = z.infer<typeof quirksSchema>;

/**
 * adapter-openai-compatible's config: one process serves one deployment of one OpenAI-compatible
 * server. Provider, deployment, base URL and models have no defaults: they describe the deployment.
 *
 * ```yaml
 * provider: vllm-qwen
 * deployment: vllm-qwen-l4
 * upstream: { baseUrl: http://vllm.internal:8000/v1 }
 * quirks: { maxTokensField: max_tokens }
 * models:
 *   - id: qwen2.5-7b-instruct
 *     upstreamModel: Qwen/Qwen2.5-7B-Instruct
 *     selfHosted: true
 *     capabilities: { contextWindowTokens: 32768, maxOutputTokens: 8192, tools: true, jsonOutput: true }
 *     price: { capacityUsdPerHour: "0.85", source: "L4 on-demand, internal estimate" }
 * ```
 */
export const compatibleAdapterConfigSchema = adapterConfigBaseSchema.extend({
  upstream: upstreamConfigSchema,
  /** A keyless local server (Ollama, llama.cpp) needs no provider key. */
  requireApiKey: z.boolean().default(false),
  quirks: quirksSchema.prefault({}),
});

/** The parsed, typed config. */
export type CompatibleAdapterConfig = z.infer<typeof compatibleAdapterConfigSchema>;

/**
 * Reads the config once: the YAML file named by `SWITCHYARD_CONFIG_FILE`, then `SWITCHYARD_*`
 * overrides. Only main.ts passes `process.env`.
 */
export function loadCompatibleAdapterConfig(env: Record<string, string | undefined>): Readonly<CompatibleAdapterConfig> {
  return loadConfig(compatibleAdapterConfigSchema, { file: env.SWITCHYARD_CONFIG_FILE || undefined, env, envPrefix: 'SWITCHYARD_' });
}
