import { createHash } from 'node:crypto';
import type { Database, Queryable } from '@switchyard/database';
import {
  createPriceCatalog,
  describeModelKey,
  findEffectiveRangeViolations,
  MAX_CAPACITY_NANOS_PER_HOUR,
  MAX_NANOS_PER_MTOK,
  priceKey,
  type CatalogPrice,
  type PriceCatalog,
} from '@switchyard/pricing';
import { ConflictingDuplicateError, InvalidFieldError } from './billing-errors';
import { decodePageToken, encodePageToken, queryFingerprint, resolvePageSize } from './page-token';

/** The price catalog as stored in the database, with a per-replica in-memory copy. */
export interface PriceBook {
  /** The current catalog; reloaded when any replica has changed prices since the last load. */
  current(): Promise<PriceCatalog>;
  /**
   * Adds the shipped catalog's entries that the database lacks, per model key, when they fit the
   * stored ranges; entries that would overlap or leave a gap are skipped (the database wins).
   * A stored entry without a cache-write price (stored before migration 0003) takes the shipped
   * one's when the shipped entry is otherwise the same price (same key, start, version and amounts).
   */
  seed(catalog: PriceCatalog): Promise<{ inserted: number; skipped: string[]; cacheWritePricesAdded: number }>;
  /**
   * Adds price entries, or closes existing ones (same model key and effective_from, a new
   * effective_until). Validated against the stored ranges: no overlaps, no gaps. Idempotent by
   * request id. All or nothing. Returns the number of entries written.
   */
  upsert(requestId: string, entries: readonly CatalogPrice[]): Promise<number>;
  /** A page of entries ordered by provider, model, deployment, effective_from. */
  list(options: { asOf?: Date; provider?: string; pageSize: number; pageToken: string }): Promise<{ entries: CatalogPrice[]; nextPageToken: string }>;
}

/** Options for createPriceBook. */
export interface PriceBookOptions {
  database: Database;
}

interface PriceRow {
  provider: string;
  model: string;
  deployment: string;
  effective_from: Date;
  effective_until: Date | null;
  version: string;
  input_nanos_per_mtok: bigint;
  output_nanos_per_mtok: bigint;
  cached_input_nanos_per_mtok: bigint;
  cache_write_input_nanos_per_mtok: bigint | null;
  capacity_nanos_per_hour: bigint;
  capacity_tokens_per_hour: bigint | null;
  self_hosted: boolean;
  source: string;
  note: string;
}

const PRICE_COLUMNS = `provider, model, deployment, effective_from, effective_until, version, input_nanos_per_mtok, output_nanos_per_mtok,
  cached_input_nanos_per_mtok, capacity_nanos_per_hour, capacity_tokens_per_hour, self_hosted, source, note, cache_write_input_nanos_per_mtok`;
// Serializes price changes across replicas so validation sees every committed range.
const PRICE_LOCK_KEY = 7_301_155_002;

const toPrice = (row: PriceRow): CatalogPrice => ({
  provider: row.provider,
  model: row.model,
  deployment: row.deployment || undefined,
  version: row.version,
  inputNanosPerMtok: row.input_nanos_per_mtok,
  outputNanosPerMtok: row.output_nanos_per_mtok,
  cachedInputNanosPerMtok: row.cached_input_nanos_per_mtok,
  // NULL (every price stored before migration 0003, and models without billed cache writes): the input price.
  ...(row.cache_write_input_nanos_per_mtok === null ? {} : { cacheWriteInputNanosPerMtok: row.cache_write_input_nanos_per_mtok }),
  capacityNanosPerHour: row.capacity_nanos_per_hour,
  capacityTokensPerHour: row.capacity_tokens_per_hour ?? undefined,
  source: row.source,
  effectiveFrom: row.effective_from,
  effectiveUntil: row.effective_until ?? undefined,
  selfHosted: row.self_hosted,
  note: row.note || undefined,
});

const samePriceApartFromCacheWrites = (a: CatalogPrice, b: CatalogPrice) =>
  a.version === b.version &&
  a.inputNanosPerMtok === b.inputNanosPerMtok &&
  a.outputNanosPerMtok === b.outputNanosPerMtok &&
  a.cachedInputNanosPerMtok === b.cachedInputNanosPerMtok &&
  a.capacityNanosPerHour === b.capacityNanosPerHour &&
  a.selfHosted === b.selfHosted;

const samePrice = (a: CatalogPrice, b: CatalogPrice) =>
  samePriceApartFromCacheWrites(a, b) && a.cacheWriteInputNanosPerMtok === b.cacheWriteInputNanosPerMtok;

const entryKey = (entry: CatalogPrice) => `${priceKey(entry)}\u0000${entry.effectiveFrom.getTime()}`;

async function insertPrices(tx: Queryable, entries: readonly CatalogPrice[]): Promise<void> {
  const column = <T>(pick: (entry: CatalogPrice) => T) => entries.map(pick);
  await tx.query(
    `INSERT INTO prices (${PRICE_COLUMNS})
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::bigint[], $8::bigint[],
                          $9::bigint[], $10::bigint[], $11::bigint[], $12::boolean[], $13::text[], $14::text[], $15::bigint[])
     ON CONFLICT (provider, model, deployment, effective_from) DO UPDATE SET effective_until = EXCLUDED.effective_until`,
    [
      column((e) => e.provider),
      column((e) => e.model),
      column((e) => e.deployment ?? ''),
      column((e) => e.effectiveFrom.toISOString()),
      column((e) => e.effectiveUntil?.toISOString() ?? null),
      column((e) => e.version),
      column((e) => e.inputNanosPerMtok.toString()),
      column((e) => e.outputNanosPerMtok.toString()),
      column((e) => e.cachedInputNanosPerMtok.toString()),
      column((e) => e.capacityNanosPerHour.toString()),
      column((e) => e.capacityTokensPerHour?.toString() ?? null),
      column((e) => e.selfHosted),
      column((e) => e.source),
      column((e) => e.note ?? ''),
      column((e) => e.cacheWriteInputNanosPerMtok?.toString() ?? null),
    ],
  );
  await tx.query('UPDATE price_catalog_state SET revision = revision + 1');
}

/** Whether `stored` holds `shipped`'s entry (same start, same price) but without its cache-write price. */
function lacksCacheWritePriceOf(stored: readonly CatalogPrice[], shipped: CatalogPrice): boolean {
  if (shipped.cacheWriteInputNanosPerMtok === undefined) return false;
  const twin = stored.find((entry) => entry.effectiveFrom.getTime() === shipped.effectiveFrom.getTime());
  return twin !== undefined && twin.cacheWriteInputNanosPerMtok === undefined && samePriceApartFromCacheWrites(twin, shipped);
}

/** Sets the cache-write price of stored entries that have none (NULL), keyed like the given entries. */
async function addCacheWritePrices(tx: Queryable, entries: readonly CatalogPrice[]): Promise<void> {
  await tx.query(
    `UPDATE prices p SET cache_write_input_nanos_per_mtok = e.cache_write
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[]) AS e(provider, model, deployment, effective_from, cache_write)
     WHERE p.provider = e.provider AND p.model = e.model AND p.deployment = e.deployment AND p.effective_from = e.effective_from
       AND p.cache_write_input_nanos_per_mtok IS NULL`,
    [
      entries.map((e) => e.provider),
      entries.map((e) => e.model),
      entries.map((e) => e.deployment ?? ''),
      entries.map((e) => e.effectiveFrom.toISOString()),
      entries.map((e) => e.cacheWriteInputNanosPerMtok?.toString() ?? null),
    ],
  );
  await tx.query('UPDATE price_catalog_state SET revision = revision + 1');
}

function checkAmounts(entry: CatalogPrice, index: number): void {
  const field = (name: string) => `prices[${index}].price.${name}`;
  const bounded = (name: string, value: bigint, max: bigint) => {
    if (value < 0n) throw new InvalidFieldError(field(name), 'must not be negative');
    if (value > max) throw new InvalidFieldError(field(name), `is absurdly large (more than ${max}); prices are nano-USD per million tokens or per hour`);
  };
  if (!entry.provider) throw new InvalidFieldError(`prices[${index}].model.provider`, 'must be set');
  if (!entry.model) throw new InvalidFieldError(`prices[${index}].model.model`, 'must be set');
  if (!entry.version) throw new InvalidFieldError(field('version'), 'must be set');
  bounded('input_nanos_usd_per_mtok', entry.inputNanosPerMtok, MAX_NANOS_PER_MTOK);
  bounded('output_nanos_usd_per_mtok', entry.outputNanosPerMtok, MAX_NANOS_PER_MTOK);
  bounded('cached_input_nanos_usd_per_mtok', entry.cachedInputNanosPerMtok, MAX_NANOS_PER_MTOK);
  if (entry.cacheWriteInputNanosPerMtok !== undefined) bounded('cache_write_input_nanos_usd_per_mtok', entry.cacheWriteInputNanosPerMtok, MAX_NANOS_PER_MTOK);
  bounded('capacity_nanos_usd_per_hour', entry.capacityNanosPerHour, MAX_CAPACITY_NANOS_PER_HOUR);
  if (entry.capacityNanosPerHour > 0n && !entry.deployment) {
    throw new InvalidFieldError(`prices[${index}].model.deployment`, 'must be set for a capacity (per deployment-hour) price');
  }
}

/** Creates the database-backed price book. */
export function createPriceBook(options: PriceBookOptions): PriceBook {
  const { database } = options;
  let loaded: { revision: bigint; catalog: PriceCatalog } | undefined;
  let loading: Promise<PriceCatalog> | undefined;

  const load = async (): Promise<PriceCatalog> => {
    const state = await database.query<{ revision: bigint }>('SELECT revision FROM price_catalog_state');
    const revision = state.rows[0].revision;
    if (loaded && loaded.revision === revision) return loaded.catalog;
    const { rows } = await database.query<PriceRow>(`SELECT ${PRICE_COLUMNS} FROM prices`);
    const catalog = createPriceCatalog(rows.map(toPrice), { version: `db-revision-${revision}` });
    loaded = { revision, catalog };
    return catalog;
  };

  return {
    current() {
      // Concurrent callers share one revision check / reload.
      loading ??= load().finally(() => (loading = undefined));
      return loading;
    },

    seed(catalog) {
      return database.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [PRICE_LOCK_KEY]);
        const stored = (await tx.query<PriceRow>(`SELECT ${PRICE_COLUMNS} FROM prices`)).rows.map(toPrice);
        const storedByKey = new Map<string, CatalogPrice[]>();
        for (const entry of stored) storedByKey.set(priceKey(entry), [...(storedByKey.get(priceKey(entry)) ?? []), entry]);
        const shippedByKey = new Map<string, CatalogPrice[]>();
        for (const entry of catalog.entries()) shippedByKey.set(priceKey(entry), [...(shippedByKey.get(priceKey(entry)) ?? []), entry]);

        const toInsert: CatalogPrice[] = [];
        const skipped: string[] = [];
        const toComplete: CatalogPrice[] = [];
        for (const [key, shipped] of shippedByKey) {
          const existing = storedByKey.get(key) ?? [];
          toComplete.push(...shipped.filter((entry) => lacksCacheWritePriceOf(existing, entry)));
          const existingStarts = new Set(existing.map((entry) => entry.effectiveFrom.getTime()));
          const missing = shipped.filter((entry) => !existingStarts.has(entry.effectiveFrom.getTime()));
          if (missing.length === 0) continue;
          if (findEffectiveRangeViolations([...existing, ...missing]).length > 0) {
            skipped.push(describeModelKey(shipped[0]));
            continue;
          }
          toInsert.push(...missing);
        }
        if (toInsert.length > 0) await insertPrices(tx, toInsert);
        if (toComplete.length > 0) await addCacheWritePrices(tx, toComplete);
        return { inserted: toInsert.length, skipped, cacheWritePricesAdded: toComplete.length };
      });
    },

    async upsert(requestId, entries) {
      if (!requestId) throw new InvalidFieldError('request_id', 'must be set (it makes the change idempotent)');
      if (entries.length === 0) throw new InvalidFieldError('prices', 'must contain at least one entry');
      if (entries.length > 1000) throw new InvalidFieldError('prices', 'at most 1000 entries per call');
      entries.forEach(checkAmounts);
      const contentHash = createHash('sha256')
        .update(JSON.stringify(entries, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)))
        .digest('hex');

      const written = await database.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [PRICE_LOCK_KEY]);
        const prior = await tx.query<{ content_hash: string; written: number }>('SELECT content_hash, written FROM price_upserts WHERE request_id = $1', [requestId]);
        if (prior.rows.length > 0) {
          if (prior.rows[0].content_hash !== contentHash) throw new ConflictingDuplicateError(`request id ${requestId} was already used for a different price change`);
          return Number(prior.rows[0].written);
        }

        const keys = [...new Map(entries.map((entry) => [priceKey(entry), entry])).values()];
        const stored = (
          await tx.query<PriceRow>(
            `SELECT ${PRICE_COLUMNS.split(',').map((c) => `p.${c.trim()}`).join(', ')}
             FROM prices p JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(provider, model, deployment)
               ON p.provider = k.provider AND p.model = k.model AND p.deployment = k.deployment`,
            [keys.map((k) => k.provider), keys.map((k) => k.model), keys.map((k) => k.deployment ?? '')],
          )
        ).rows.map(toPrice);

        // Merge: an input entry with the same key and start as a stored one may only change its end.
        const merged = new Map<string, { entry: CatalogPrice; inputIndex?: number }>(stored.map((entry) => [entryKey(entry), { entry }]));
        entries.forEach((entry, index) => {
          const key = entryKey(entry);
          const existing = merged.get(key);
          if (existing?.inputIndex !== undefined) {
            throw new InvalidFieldError(`prices[${index}].effective_time`, `repeats prices[${existing.inputIndex}] (same model and effective_time)`);
          }
          if (existing && !samePrice(existing.entry, entry)) {
            throw new InvalidFieldError(
              `prices[${index}]`,
              `${describeModelKey(entry)} already has a price starting ${entry.effectiveFrom.toISOString()} (version ${existing.entry.version}) with different amounts; ` +
                'to change a price, close the current entry with expire_time and add a new entry (new version) starting then',
            );
          }
          merged.set(key, { entry, inputIndex: index });
        });
        const mergedList = [...merged.values()];
        const [violation] = findEffectiveRangeViolations(mergedList.map((m) => m.entry));
        if (violation) {
          const culprit = mergedList[violation.index];
          const inputIndex = culprit.inputIndex ?? entries.findIndex((entry) => priceKey(entry) === priceKey(culprit.entry));
          const field = culprit.inputIndex !== undefined && violation.field === 'effectiveUntil' ? 'expire_time' : 'effective_time';
          throw new InvalidFieldError(`prices[${inputIndex}].${field}`, violation.message);
        }

        await insertPrices(tx, entries);
        await tx.query('INSERT INTO price_upserts (request_id, content_hash, written) VALUES ($1, $2, $3)', [requestId, contentHash, entries.length]);
        return entries.length;
      });
      loaded = undefined;
      return written;
    },

    async list({ asOf, provider, pageSize, pageToken }) {
      const size = resolvePageSize(pageSize);
      const fingerprint = queryFingerprint({ list: 'prices', asOf: asOf?.toISOString() ?? null, provider: provider ?? null });
      const cursor = decodePageToken(pageToken, fingerprint);
      const after = cursor?.after ?? null;
      if (after && after.length !== 4) throw new InvalidFieldError('page_token', 'is not a token this service issued');
      const { rows } = await database.query<PriceRow>(
        `SELECT ${PRICE_COLUMNS} FROM prices
         WHERE ($1::timestamptz IS NULL OR (effective_from <= $1 AND (effective_until IS NULL OR effective_until > $1)))
           AND ($2::text IS NULL OR provider = $2)
           AND ($3::text IS NULL OR (provider COLLATE "C", model COLLATE "C", deployment COLLATE "C", effective_from) > ($3, $4, $5, $6::timestamptz))
         ORDER BY provider COLLATE "C", model COLLATE "C", deployment COLLATE "C", effective_from
         LIMIT $7`,
        [asOf?.toISOString() ?? null, provider || null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, after?.[3] ?? null, size + 1],
      );
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      const nextPageToken =
        rows.length > size ? encodePageToken({ query: fingerprint, after: [last.provider, last.model, last.deployment, last.effective_from.toISOString()] }) : '';
      return { entries: page.map(toPrice), nextPageToken };
    },
  };
}
