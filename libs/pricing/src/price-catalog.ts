import { z } from 'zod';
import catalogFile from './catalog/prices.json';
import { priceKey, type CatalogPrice, type ModelKey } from './catalog-price';
import { findEffectiveRangeViolations, type EffectiveRangeViolation } from './effective-ranges';
import { parseUsdToNanos } from './usd-amount';

/** A versioned set of prices with effective dates, looked up by model and time. */
export interface PriceCatalog {
  /** The catalog's version (e.g. the shipped file's `catalogVersion`). */
  readonly version: string;
  /** Every entry, sorted by provider, model, deployment, then effectiveFrom. */
  entries(): readonly CatalogPrice[];
  /**
   * The price in effect for a model at a time: the entry for that exact deployment if one covers
   * `at`, else the model-wide entry (no deployment) covering `at`, else undefined.
   */
  priceAt(ref: ModelKey, at: Date): CatalogPrice | undefined;
  /** The capacity-priced (self-hosted) entry for a deployment at a time, if any. */
  capacityAt(deployment: string, at: Date): CatalogPrice | undefined;
  /** Deployments that have a capacity price in some entry, sorted. */
  capacityDeployments(): readonly string[];
}

/** Why a catalog could not be built; `violations` point at entries by index. */
export class PriceCatalogError extends Error {
  constructor(
    message: string,
    readonly violations: readonly EffectiveRangeViolation[],
  ) {
    super(message);
    this.name = 'PriceCatalogError';
  }
}

/** Options for createPriceCatalog. */
export interface PriceCatalogOptions {
  /** The catalog version; default "custom". */
  version?: string;
}

/** Upper bound for any per-token price: $100,000 per million tokens (guards against unit mistakes). */
export const MAX_NANOS_PER_MTOK = 100_000n * 1_000_000_000n;
/** Upper bound for any capacity price: $100,000 per deployment-hour. */
export const MAX_CAPACITY_NANOS_PER_HOUR = 100_000n * 1_000_000_000n;

/**
 * Builds a catalog from entries, checking that amounts are non-negative and within sane bounds
 * and that each model key's effective ranges neither overlap nor leave gaps
 * (throws PriceCatalogError listing every violation).
 */
export function createPriceCatalog(entries: readonly CatalogPrice[], options: PriceCatalogOptions = {}): PriceCatalog {
  const violations: EffectiveRangeViolation[] = [...findEffectiveRangeViolations(entries)];
  const amountProblems: string[] = [];
  entries.forEach((entry, index) => {
    for (const field of ['inputNanosPerMtok', 'outputNanosPerMtok', 'cachedInputNanosPerMtok'] as const) {
      if (entry[field] < 0n || entry[field] > MAX_NANOS_PER_MTOK) amountProblems.push(`entries[${index}].${field} out of range: ${entry[field]}`);
    }
    const cacheWrite = entry.cacheWriteInputNanosPerMtok;
    if (cacheWrite !== undefined && (cacheWrite < 0n || cacheWrite > MAX_NANOS_PER_MTOK)) {
      amountProblems.push(`entries[${index}].cacheWriteInputNanosPerMtok out of range: ${cacheWrite}`);
    }
    if (entry.capacityNanosPerHour < 0n || entry.capacityNanosPerHour > MAX_CAPACITY_NANOS_PER_HOUR) {
      amountProblems.push(`entries[${index}].capacityNanosPerHour out of range: ${entry.capacityNanosPerHour}`);
    }
    if (!entry.provider || !entry.model) amountProblems.push(`entries[${index}] needs a provider and a model`);
    if (!entry.version) amountProblems.push(`entries[${index}].version must be set`);
  });
  if (violations.length > 0 || amountProblems.length > 0) {
    const lines = [...violations.map((v) => `entries[${v.index}].${v.field}: ${v.message}`), ...amountProblems];
    throw new PriceCatalogError(`invalid price catalog: ${lines.join('; ')}`, violations);
  }

  const sorted = [...entries]
    .map((entry) => Object.freeze({ ...entry, deployment: entry.deployment || undefined }))
    .sort(
      (a, b) =>
        compare(a.provider, b.provider) ||
        compare(a.model, b.model) ||
        compare(a.deployment ?? '', b.deployment ?? '') ||
        a.effectiveFrom.getTime() - b.effectiveFrom.getTime(),
    );
  const byKey = new Map<string, CatalogPrice[]>();
  const byCapacityDeployment = new Map<string, CatalogPrice[]>();
  for (const entry of sorted) {
    const list = byKey.get(priceKey(entry)) ?? [];
    list.push(entry);
    byKey.set(priceKey(entry), list);
    if (entry.capacityNanosPerHour > 0n && entry.deployment) {
      const capacity = byCapacityDeployment.get(entry.deployment) ?? [];
      capacity.push(entry);
      byCapacityDeployment.set(entry.deployment, capacity);
    }
  }
  const covering = (list: CatalogPrice[] | undefined, at: Date): CatalogPrice | undefined =>
    list?.find((entry) => entry.effectiveFrom.getTime() <= at.getTime() && (!entry.effectiveUntil || at.getTime() < entry.effectiveUntil.getTime()));

  return {
    version: options.version ?? 'custom',
    entries: () => sorted,
    priceAt(ref, at) {
      if (ref.deployment) {
        const exact = covering(byKey.get(priceKey(ref)), at);
        if (exact) return exact;
      }
      return covering(byKey.get(priceKey({ provider: ref.provider, model: ref.model })), at);
    },
    capacityAt: (deployment, at) => covering(byCapacityDeployment.get(deployment), at),
    capacityDeployments: () => [...byCapacityDeployment.keys()].sort(compare),
  };
}

const usd = z.string().regex(/^\d{1,12}(\.\d{1,9})?$/, 'a non-negative decimal USD amount');
const capabilitiesSchema = z.object({
  contextWindowTokens: z.number().int().positive(),
  maxOutputTokens: z.number().int().positive(),
  tools: z.boolean(),
  jsonOutput: z.boolean(),
  structuredOutput: z.boolean(),
  vision: z.boolean(),
  streaming: z.boolean(),
});
const entrySchema = z.object({
  provider: z.string().min(1),
  model: z.string().min(1),
  deployment: z.string().min(1).optional(),
  version: z.string().min(1),
  effectiveFrom: z.iso.datetime(),
  effectiveUntil: z.iso.datetime().optional(),
  inputUsdPerMtok: usd,
  outputUsdPerMtok: usd,
  cachedInputUsdPerMtok: usd,
  /** Absent for models without billed prompt-cache writes: they are priced at inputUsdPerMtok. */
  cacheWriteInputUsdPerMtok: usd.optional(),
  capacityUsdPerHour: usd.optional(),
  capacityTokensPerHour: z.number().int().positive().optional(),
  selfHosted: z.boolean().optional(),
  source: z.string().min(1),
  priceAsOf: z.string().optional(),
  note: z.string().optional(),
  capabilities: capabilitiesSchema.optional(),
});
/** The JSON shape of a catalog file (USD amounts as decimal strings, converted exactly). */
export const priceCatalogFileSchema = z.object({
  catalogVersion: z.string().min(1),
  entries: z.array(entrySchema),
});
/** A catalog file as parsed. */
export type PriceCatalogFile = z.infer<typeof priceCatalogFileSchema>;

/** Builds a catalog from the JSON file shape (validated; throws on any problem). */
export function parsePriceCatalogFile(data: unknown): PriceCatalog {
  const file = priceCatalogFileSchema.parse(data);
  const entries = file.entries.map(
    (entry): CatalogPrice => ({
      provider: entry.provider,
      model: entry.model,
      deployment: entry.deployment,
      version: entry.version,
      inputNanosPerMtok: parseUsdToNanos(entry.inputUsdPerMtok),
      outputNanosPerMtok: parseUsdToNanos(entry.outputUsdPerMtok),
      cachedInputNanosPerMtok: parseUsdToNanos(entry.cachedInputUsdPerMtok),
      cacheWriteInputNanosPerMtok: entry.cacheWriteInputUsdPerMtok === undefined ? undefined : parseUsdToNanos(entry.cacheWriteInputUsdPerMtok),
      capacityNanosPerHour: entry.capacityUsdPerHour ? parseUsdToNanos(entry.capacityUsdPerHour) : 0n,
      capacityTokensPerHour: entry.capacityTokensPerHour === undefined ? undefined : BigInt(entry.capacityTokensPerHour),
      source: entry.source,
      effectiveFrom: new Date(entry.effectiveFrom),
      effectiveUntil: entry.effectiveUntil ? new Date(entry.effectiveUntil) : undefined,
      selfHosted: entry.selfHosted ?? false,
      capabilities: entry.capabilities,
      note: entry.note,
    }),
  );
  return createPriceCatalog(entries, { version: file.catalogVersion });
}

let shipped: PriceCatalog | undefined;

/** The catalog shipped in `catalog/prices.json` (built once, then shared; entries are frozen). */
export function defaultPriceCatalog(): PriceCatalog {
  shipped ??= parsePriceCatalogFile(catalogFile);
  return shipped;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
