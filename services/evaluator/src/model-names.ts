import type { PriceCatalog } from '@switchyard/pricing';

/** A model name split into its provider (may be empty) and the provider's model id. */
export interface ModelName {
  provider: string;
  model: string;
}

/** Splits "provider/model" (the model id itself may contain '/', e.g. "vllm/meta-llama/Llama-3"). */
export function splitModelName(name: string): ModelName {
  const slash = name.indexOf('/');
  return slash > 0 ? { provider: name.slice(0, slash), model: name.slice(slash + 1) } : { provider: '', model: name };
}

/**
 * Canonical model keys are "provider/model", so scores measured offline ("gpt-4o") and online
 * (ModelRef openai/gpt-4o) land on the same key. A bare id is qualified with the provider the price
 * catalog (or an explicit alias) gives it when exactly one provider serves it; otherwise it stays bare.
 */
export function createModelNaming(options: { catalog?: PriceCatalog; aliases?: Readonly<Record<string, string>> } = {}) {
  const providersByModel = new Map<string, Set<string>>();
  for (const entry of options.catalog?.entries() ?? []) {
    const providers = providersByModel.get(entry.model) ?? new Set<string>();
    providers.add(entry.provider);
    providersByModel.set(entry.model, providers);
  }
  return {
    /** The canonical key of a model name. */
    canonical(name: string): string {
      const trimmed = name.trim();
      if (trimmed.includes('/')) return trimmed;
      const alias = options.aliases?.[trimmed];
      if (alias) return alias.includes('/') ? alias : `${alias}/${trimmed}`;
      const providers = providersByModel.get(trimmed);
      return providers?.size === 1 ? `${[...providers][0]}/${trimmed}` : trimmed;
    },
  };
}

/** Canonicalises model names. */
export type ModelNaming = ReturnType<typeof createModelNaming>;

/** True when a requested name (bare or qualified) denotes a canonical key. */
export function modelMatches(requested: string, key: string): boolean {
  if (requested === key) return true;
  return !requested.includes('/') && splitModelName(key).model === requested;
}
