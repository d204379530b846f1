import type { common } from '@switchyard/contracts';
import type { CatalogPrice } from '@switchyard/pricing';
import type { ProviderServiceClient } from '@switchyard/sdk';
import type { Logger } from 'pino';
import type { CandidateCapabilities } from './policy/choose-route';

/** One model at one deployment, as its adapter's ListModels reported it. */
export interface CatalogEntry {
  /** The configured adapter that serves it. */
  adapter: string;
  info: common.ModelInfo;
  ref: { provider: string; model: string; deployment: string };
  /** `provider/model`. */
  key: string;
  capabilities: CandidateCapabilities;
  /** The adapter's own price (used only when the price catalog has no entry). */
  adapterPrice?: CatalogPrice;
}

/** How an adapter answered its last ListModels. */
export interface AdapterStatus {
  name: string;
  address: string;
  up: boolean;
  /** Why it is down. */
  error?: string;
  /** When it last answered. */
  lastSeen?: Date;
  /** Models it served when it last answered. */
  models: number;
}

/** The aggregated catalog of every adapter's models, refreshed periodically. */
export interface ModelCatalog {
  /** Every known model, including those of adapters that are down now (their last known list). */
  entries(): readonly CatalogEntry[];
  /** Adapter states, in config order. */
  adapters(): readonly AdapterStatus[];
  /** Whether an adapter answered its last refresh. */
  isUp(adapter: string): boolean;
  /** Re-reads every adapter's ListModels now (in parallel); never throws. */
  refresh(): Promise<void>;
  close(): void;
}

/** Options for createModelCatalog. */
export interface ModelCatalogOptions {
  adapters: ReadonlyArray<{ name: string; address: string; client: Pick<ProviderServiceClient, 'listModels'> }>;
  /** Refresh interval, ms; 0 = no timer. */
  refreshMs?: number;
  /** Timeout of one ListModels call, ms; default 3000. */
  timeoutMs?: number;
  logger?: Logger;
}

function capabilitiesOf(info: common.ModelInfo): CandidateCapabilities {
  const c = info.capabilities;
  return {
    contextWindowTokens: Number(c?.contextWindowTokens ?? 0n),
    maxOutputTokens: Number(c?.maxOutputTokens ?? 0n),
    tools: c?.tools ?? false,
    jsonOutput: c?.jsonOutput ?? false,
    structuredOutput: c?.structuredOutput ?? false,
    vision: c?.vision ?? false,
    streaming: c?.streaming ?? false,
  };
}

function adapterPriceOf(info: common.ModelInfo): CatalogPrice | undefined {
  const p = info.price;
  if (!p || !info.ref) return undefined;
  return {
    provider: info.ref.provider,
    model: info.ref.model,
    deployment: info.ref.deployment || undefined,
    version: p.version || 'adapter',
    inputNanosPerMtok: p.inputNanosUsdPerMtok,
    outputNanosPerMtok: p.outputNanosUsdPerMtok,
    cachedInputNanosPerMtok: p.cachedInputNanosUsdPerMtok,
    ...(p.cacheWriteInputNanosUsdPerMtok === undefined ? {} : { cacheWriteInputNanosPerMtok: p.cacheWriteInputNanosUsdPerMtok }),
    capacityNanosPerHour: p.capacityNanosUsdPerHour,
    source: p.source || 'adapter ListModels',
    effectiveFrom: new Date(0),
    selfHosted: info.selfHosted,
  };
}

/**
 * Creates the catalog. An adapter that stops answering keeps its last known models, marked
 * unavailable with the reason, so ListModels shows it as down instead of silently dropping it.
 */
export function createModelCatalog(options: ModelCatalogOptions): ModelCatalog {
  const timeoutMs = options.timeoutMs ?? 3000;
  const byAdapter = new Map<string, CatalogEntry[]>();
  const statuses = new Map<string, AdapterStatus>(
    options.adapters.map((a) => [a.name, { name: a.name, address: a.address, up: false, error: 'not contacted yet', models: 0 }]),
  );
  let flat: CatalogEntry[] = [];
  const rebuild = () => {
    const seen = new Set<string>();
    const next: CatalogEntry[] = [];
    for (const adapter of options.adapters) {
      for (const entry of byAdapter.get(adapter.name) ?? []) {
        const id = `${entry.key}@${entry.ref.deployment}`;
        if (seen.has(id)) {
          options.logger?.warn({ adapter: adapter.name, model: id }, 'two adapters report the same deployment and model; keeping the first');
          continue;
        }
        seen.add(id);
        next.push(entry);
      }
    }
    flat = next;
  };

  const refreshOne = async (adapter: ModelCatalogOptions['adapters'][number]) => {
    const status = statuses.get(adapter.name)!;
    try {
      const infos: common.ModelInfo[] = [];
      let pageToken = '';
      for (let page = 0; page < 100; page++) {
        const response = await adapter.client.listModels({ pageSize: 1000, pageToken }, { timeoutMs });
        infos.push(...response.models);
        pageToken = response.nextPageToken;
        if (!pageToken) break;
      }
      const entries = infos
        .filter((info) => info.ref && info.ref.provider && info.ref.model)
        .map((info): CatalogEntry => {
          const ref = { provider: info.ref!.provider, model: info.ref!.model, deployment: info.ref!.deployment || adapter.name };
          return { adapter: adapter.name, info, ref, key: `${ref.provider}/${ref.model}`, capabilities: capabilitiesOf(info), adapterPrice: adapterPriceOf(info) };
        });
      byAdapter.set(adapter.name, entries);
      if (!status.up) options.logger?.info({ adapter: adapter.name, models: entries.length }, 'adapter answered ListModels');
      Object.assign(status, { up: true, error: undefined, lastSeen: new Date(), models: entries.length });
    } catch (error) {
      if (status.up) options.logger?.warn({ adapter: adapter.name, err: (error as Error).message }, 'adapter stopped answering ListModels; marking it down');
      Object.assign(status, { up: false, error: `adapter ${adapter.name} at ${adapter.address} is not answering: ${(error as Error).message}` });
    }
  };

  const refresh = async () => {
    await Promise.all(options.adapters.map(refreshOne));
    rebuild();
  };
  const timer = options.refreshMs ? setInterval(() => void refresh(), options.refreshMs) : undefined;
  timer?.unref();

  return {
    entries: () => flat,
    adapters: () => options.adapters.map((a) => ({ ...statuses.get(a.name)! })),
    isUp: (adapter) => statuses.get(adapter)?.up ?? false,
    refresh,
    close: () => clearInterval(timer),
  };
}
