import { timestampDate } from '@bufbuild/protobuf/wkt';
import { createPriceCatalog, type CatalogPrice, type ModelKey, type PriceCatalog } from '@switchyard/pricing';
import type { BillingServiceClient } from '@switchyard/sdk';
import type { billing } from '@switchyard/contracts';
import type { Logger } from 'pino';

/**
 * The prices the router charges with: billing's catalog (ListPrices), so the cost in a response is
 * the cost billing records; the shipped catalog until billing has answered once.
 */
export interface PriceSource {
  /** The price in effect for a model at a time. */
  priceAt(ref: ModelKey, at: Date): CatalogPrice | undefined;
  /** Where the current prices came from. */
  origin(): 'billing' | 'shipped';
  /** Re-reads billing's catalog now (keeps the last good one on failure). */
  refresh(): Promise<void>;
  close(): void;
}

/** Options for createPriceSource. */
export interface PriceSourceOptions {
  /** The shipped catalog: used until billing answers, and for routing-only fields ListPrices lacks. */
  shipped: PriceCatalog;
  billing?: Pick<BillingServiceClient, 'listPrices'>;
  /** Refresh interval, ms; 0 = never refresh from billing. */
  refreshMs?: number;
  logger?: Logger;
}

function toCatalogPrice(entry: billing.PriceEntry, shipped: PriceCatalog): CatalogPrice | undefined {
  if (!entry.model || !entry.price || !entry.effectiveTime) return undefined;
  const from = timestampDate(entry.effectiveTime);
  const key = { provider: entry.model.provider, model: entry.model.model, deployment: entry.model.deployment || undefined };
  // ListPrices has no throughput or self-hosted flag: take them from the shipped entry (routing estimates only).
  const known = shipped.priceAt(key, from);
  return {
    ...key,
    version: entry.price.version,
    inputNanosPerMtok: entry.price.inputNanosUsdPerMtok,
    outputNanosPerMtok: entry.price.outputNanosUsdPerMtok,
    cachedInputNanosPerMtok: entry.price.cachedInputNanosUsdPerMtok,
    cacheWriteInputNanosPerMtok: entry.price.cacheWriteInputNanosUsdPerMtok,
    capacityNanosPerHour: entry.price.capacityNanosUsdPerHour,
    capacityTokensPerHour: known?.capacityTokensPerHour,
    source: entry.price.source,
    effectiveFrom: from,
    effectiveUntil: entry.expireTime ? timestampDate(entry.expireTime) : undefined,
    selfHosted: known?.selfHosted ?? entry.price.capacityNanosUsdPerHour > 0n,
  };
}

/** Creates the price source; call `refresh()` once at start (it never throws). */
export function createPriceSource(options: PriceSourceOptions): PriceSource {
  let catalog = options.shipped;
  let origin: 'billing' | 'shipped' = 'shipped';

  const refresh = async () => {
    if (!options.billing) return;
    try {
      const entries: CatalogPrice[] = [];
      let pageToken = '';
      for (let page = 0; page < 1000; page++) {
        const response = await options.billing.listPrices({ pageSize: 1000, pageToken }, { timeoutMs: 5000 });
        for (const entry of response.prices) {
          const price = toCatalogPrice(entry, options.shipped);
          if (price) entries.push(price);
        }
        pageToken = response.nextPageToken;
        if (!pageToken) break;
      }
      if (entries.length === 0) return;
      catalog = createPriceCatalog(entries, { version: 'billing' });
      origin = 'billing';
    } catch (error) {
      options.logger?.warn({ err: (error as Error).message, origin }, 'price catalog refresh from billing failed; keeping the current prices');
    }
  };
  const timer = options.billing && options.refreshMs ? setInterval(() => void refresh(), options.refreshMs) : undefined;
  timer?.unref();

  return {
    priceAt: (ref, at) => catalog.priceAt(ref, at),
    origin: () => origin,
    refresh,
    close: () => clearInterval(timer),
  };
}
