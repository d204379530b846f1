import type { router } from '@switchyard/contracts';

/** One model id the caller may pass as `model`, merged over the deployments that serve it. */
export interface CatalogEntry {
  /** `provider/model`, or an alias such as `switchyard/auto`. */
  readonly id: string;
  /** The provider, or `switchyard` for an alias. */
  readonly ownedBy: string;
  readonly displayName: string;
  readonly alias: boolean;
  /** The first deployment's model info (capabilities, price); absent for aliases. */
  readonly model?: router.RoutableModel;
  readonly deployments: readonly string[];
  /** True when any deployment serving it is available. */
  readonly available: boolean;
}

/**
 * The caller's catalog as model ids: aliases first, then each `provider/model` once (a model
 * served by several deployments is one entry). Ids are `provider/model` because the bare model
 * name can be ambiguous across providers; the router accepts both.
 */
export function catalogEntries(models: readonly router.RoutableModel[], aliases: readonly string[]): CatalogEntry[] {
  const entries = new Map<string, CatalogEntry>();
  for (const alias of aliases) {
    entries.set(alias, { id: alias, ownedBy: 'switchyard', displayName: alias, alias: true, deployments: [], available: true });
  }
  for (const model of models) {
    const ref = model.info?.ref;
    if (!ref || ref.model === '') continue;
    const id = ref.provider ? `${ref.provider}/${ref.model}` : ref.model;
    const existing = entries.get(id);
    if (existing) {
      entries.set(id, {
        ...existing,
        deployments: ref.deployment ? [...existing.deployments, ref.deployment] : existing.deployments,
        available: existing.available || model.available,
      });
      continue;
    }
    entries.set(id, {
      id,
      ownedBy: ref.provider || 'switchyard',
      displayName: model.info?.displayName || ref.model,
      alias: false,
      model,
      deployments: ref.deployment ? [ref.deployment] : [],
      available: model.available,
    });
  }
  return [...entries.values()];
}

/** Finds a catalog entry by `provider/model`, alias, or bare model name. */
export function findCatalogEntry(entries: readonly CatalogEntry[], id: string): CatalogEntry | undefined {
  return entries.find((entry) => entry.id === id) ?? entries.find((entry) => !entry.alias && entry.model?.info?.ref?.model === id);
}

/** An OpenAI `model` object, with Switchyard's facts in the `switchyard` field. */
export function openAIModel(entry: CatalogEntry): Record<string, unknown> {
  const info = entry.model?.info;
  const switchyard: Record<string, unknown> = { alias: entry.alias, available: entry.available, display_name: entry.displayName };
  if (info) {
    switchyard['deployments'] = entry.deployments;
    switchyard['self_hosted'] = info.selfHosted;
    if (info.capabilities) {
      const c = info.capabilities;
      switchyard['capabilities'] = {
        context_window_tokens: Number(c.contextWindowTokens),
        max_output_tokens: Number(c.maxOutputTokens),
        tools: c.tools,
        json_output: c.jsonOutput,
        structured_output: c.structuredOutput,
        vision: c.vision,
        streaming: c.streaming,
      };
    }
    if (info.price) {
      const p = info.price;
      switchyard['price'] = {
        version: p.version,
        input_nanos_usd_per_mtok: p.inputNanosUsdPerMtok.toString(),
        output_nanos_usd_per_mtok: p.outputNanosUsdPerMtok.toString(),
        cached_input_nanos_usd_per_mtok: p.cachedInputNanosUsdPerMtok.toString(),
        // Absent when the model has no cache-write price (cache writes then cost the input price).
        ...(p.cacheWriteInputNanosUsdPerMtok === undefined ? {} : { cache_write_input_nanos_usd_per_mtok: p.cacheWriteInputNanosUsdPerMtok.toString() }),
        capacity_nanos_usd_per_hour: p.capacityNanosUsdPerHour.toString(),
      };
    }
  }
  // `created` is not tracked by the catalog; 0 keeps the field's type.
  return { id: entry.id, object: 'model', created: 0, owned_by: entry.ownedBy, switchyard };
}

/** The OpenAI `GET /v1/models` body. */
export function openAIModelList(entries: readonly CatalogEntry[]): Record<string, unknown> {
  return { object: 'list', data: entries.map(openAIModel) };
}

/** An Anthropic `model` object. */
export function anthropicModel(entry: CatalogEntry): Record<string, unknown> {
  return { type: 'model', id: entry.id, display_name: entry.displayName, created_at: '1970-01-01T00:00:00Z' };
}

/** The Anthropic `GET /v1/models` page (one page holding the whole catalog). */
export function anthropicModelPage(entries: readonly CatalogEntry[]): Record<string, unknown> {
  return {
    data: entries.map(anthropicModel),
    has_more: false,
    first_id: entries[0]?.id ?? null,
    last_id: entries[entries.length - 1]?.id ?? null,
  };
}
