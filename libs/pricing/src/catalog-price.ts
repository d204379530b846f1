/** Names one model, optionally at one deployment (the same shape as `common.ModelRef`). */
export interface ModelKey {
  /** Provider name as configured, e.g. "openai", "vllm-qwen". */
  provider: string;
  /** Model id, e.g. "gpt-4o-mini". */
  model: string;
  /** Deployment (adapter instance); empty or absent means "any deployment of the model". */
  deployment?: string;
}

/** What a model can do, as far as the catalog knows (adapters' ListModels stays authoritative). */
export interface CatalogCapabilities {
  /** Maximum prompt plus output tokens. */
  contextWindowTokens: number;
  /** Maximum output tokens per request. */
  maxOutputTokens: number;
  /** Tool (function) calling. */
  tools: boolean;
  /** Native JSON-object output mode. */
  jsonOutput: boolean;
  /** Native JSON-schema structured output. */
  structuredOutput: boolean;
  /** Image input. */
  vision: boolean;
  /** Streaming. */
  streaming: boolean;
}

/**
 * One price of one model over an effective date range. Per-token prices are integer nano-USD per
 * million tokens ($2.50 / 1M tokens = 2_500_000_000n); capacity is nano-USD per deployment-hour.
 */
export interface CatalogPrice {
  /** Provider name. */
  provider: string;
  /** Model id. */
  model: string;
  /** Deployment this price applies to; undefined means every deployment of the model. */
  deployment?: string;
  /** Catalog version that defines this price; recorded on every usage row priced with it. */
  version: string;
  /** Input tokens (excluding cached ones), nano-USD per million tokens. */
  inputNanosPerMtok: bigint;
  /** Output tokens (reasoning included), nano-USD per million tokens. */
  outputNanosPerMtok: bigint;
  /** Cached input tokens (prompt-cache reads), nano-USD per million tokens. */
  cachedInputNanosPerMtok: bigint;
  /**
   * Prompt tokens written to the provider's prompt cache, nano-USD per million tokens (Anthropic:
   * 1.25× input for the 5-minute cache). Undefined means the input price: a model without billed
   * cache writes never reports such tokens, and a price recorded before this field existed billed
   * them as input.
   */
  cacheWriteInputNanosPerMtok?: bigint;
  /** Self-hosted capacity, nano-USD per deployment-hour (0 for pay-per-token APIs). */
  capacityNanosPerHour: bigint;
  /** Expected tokens a deployment serves per hour, for amortized cost estimates (self-hosted only). */
  capacityTokensPerHour?: bigint;
  /** Where the price comes from: a public price page URL, a contract, an internal estimate. */
  source: string;
  /** Inclusive start of validity. */
  effectiveFrom: Date;
  /** Exclusive end of validity; undefined means open-ended. */
  effectiveUntil?: Date;
  /** True for models on the operator's own hardware (open-source or in-house). */
  selfHosted: boolean;
  /** What the model can do, when the catalog records it. */
  capabilities?: CatalogCapabilities;
  /** Free-form caveat, e.g. "list price as of 2025-10-15, verify before relying". */
  note?: string;
}

/** The canonical lookup key of a price: provider, model and deployment ('' for any). */
export function priceKey(key: ModelKey): string {
  return `${key.provider}\u0000${key.model}\u0000${key.deployment ?? ''}`;
}

/** "provider/model" or "provider/model@deployment", for messages. */
export function describeModelKey(key: ModelKey): string {
  return key.deployment ? `${key.provider}/${key.model}@${key.deployment}` : `${key.provider}/${key.model}`;
}
