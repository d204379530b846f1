import type { MessageInitShape } from '@bufbuild/protobuf';
import type { common, provider } from '@switchyard/contracts';
import { invalidArgument } from '@switchyard/grpc-kit';
import { parseUsdToNanos, type CatalogPrice, type PriceCatalog } from '@switchyard/pricing';
import { z } from 'zod';

/** What a served model can do; the router filters candidates with it. */
export interface ServedModelCapabilities {
  contextWindowTokens: number;
  maxOutputTokens: number;
  tools: boolean;
  jsonOutput: boolean;
  structuredOutput: boolean;
  vision: boolean;
  streaming: boolean;
}

/** A price given in the deployment's config (for models the catalog does not know, e.g. self-hosted). */
export interface ConfiguredPrice {
  version: string;
  inputNanosPerMtok: bigint;
  outputNanosPerMtok: bigint;
  cachedInputNanosPerMtok: bigint;
  /** Prompt-cache writes; undefined means the input price (see CatalogPrice). */
  cacheWriteInputNanosPerMtok?: bigint;
  capacityNanosPerHour: bigint;
  source: string;
}

/** One model a deployment serves. */
export interface ServedModel {
  /** Our model id: what callers put in `model` and what ListModels reports. */
  id: string;
  /** The name the upstream knows the model by (often the same). */
  upstreamModel: string;
  displayName: string;
  capabilities: ServedModelCapabilities;
  /** Runs on the operator's own hardware. */
  selfHosted: boolean;
  /** Price from the config, used when the catalog has no entry for the model. */
  price?: ConfiguredPrice;
}

/** Conservative capabilities for a model nobody described: text in, text out. */
export const MINIMAL_CAPABILITIES: ServedModelCapabilities = Object.freeze({
  contextWindowTokens: 8192,
  maxOutputTokens: 4096,
  tools: false,
  jsonOutput: false,
  structuredOutput: false,
  vision: false,
  streaming: true,
});

const usdAmount = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,9})?$/, 'a decimal USD amount such as "0.15"');

/** The `models[]` entry of an adapter config file. */
export const servedModelConfigSchema = z.object({
  id: z.string().min(1),
  upstreamModel: z.string().min(1).optional(),
  displayName: z.string().optional(),
  capabilities: z
    .object({
      contextWindowTokens: z.number().int().positive().optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      tools: z.boolean().optional(),
      jsonOutput: z.boolean().optional(),
      structuredOutput: z.boolean().optional(),
      vision: z.boolean().optional(),
      streaming: z.boolean().optional(),
    })
    .optional(),
  selfHosted: z.boolean().optional(),
  price: z
    .object({
      inputUsdPerMtok: usdAmount.default('0'),
      outputUsdPerMtok: usdAmount.default('0'),
      cachedInputUsdPerMtok: usdAmount.optional(),
      cacheWriteInputUsdPerMtok: usdAmount.optional(),
      capacityUsdPerHour: usdAmount.default('0'),
      source: z.string().default('deployment config'),
      version: z.string().default('config'),
    })
    .optional(),
});

/** A `models[]` entry as written in config. */
export type ServedModelConfig = z.infer<typeof servedModelConfigSchema>;

/**
 * Turns config entries into served models. `baseCapabilities` gives what the adapter knows about a
 * model id (its own table); the config's `capabilities` override field by field.
 */
export function toServedModels(
  entries: readonly ServedModelConfig[],
  baseCapabilities: (id: string) => ServedModelCapabilities = () => MINIMAL_CAPABILITIES,
): ServedModel[] {
  const seen = new Set<string>();
  return entries.map((entry) => {
    if (seen.has(entry.id)) throw new Error(`models: "${entry.id}" is listed twice`);
    seen.add(entry.id);
    const price = entry.price;
    return {
      id: entry.id,
      upstreamModel: entry.upstreamModel ?? entry.id,
      displayName: entry.displayName ?? entry.id,
      capabilities: { ...baseCapabilities(entry.id), ...stripUndefined(entry.capabilities ?? {}) },
      selfHosted: entry.selfHosted ?? false,
      ...(price
        ? {
            price: {
              version: price.version,
              inputNanosPerMtok: parseUsdToNanos(price.inputUsdPerMtok),
              outputNanosPerMtok: parseUsdToNanos(price.outputUsdPerMtok),
              cachedInputNanosPerMtok: parseUsdToNanos(price.cachedInputUsdPerMtok ?? price.inputUsdPerMtok),
              ...(price.cacheWriteInputUsdPerMtok === undefined ? {} : { cacheWriteInputNanosPerMtok: parseUsdToNanos(price.cacheWriteInputUsdPerMtok) }),
              capacityNanosPerHour: parseUsdToNanos(price.capacityUsdPerHour),
              source: price.source,
            },
          }
        : {}),
    };
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Options of {@link createServedModelCatalog}. */
export interface ServedModelCatalogOptions {
  /** Provider name as configured, e.g. `openai`, `vllm-qwen`. */
  provider: string;
  /** This deployment's name, e.g. `openai-default`. */
  deployment: string;
  /** The models served, in ListModels order. */
  models: readonly ServedModel[];
  /** The versioned price catalog; its entries win over prices in the config. */
  priceCatalog?: PriceCatalog;
  /** Clock for price lookups (default: now). */
  now?: () => Date;
}

/** The models one deployment serves: lookup for Generate, pages for ListModels. */
export interface ServedModelCatalog {
  readonly provider: string;
  readonly deployment: string;
  readonly models: readonly ServedModel[];
  /** The served model with this id; INVALID_ARGUMENT naming `model` when there is none. */
  require(id: string): ServedModel;
  /** One page of ListModels (AIP-158). */
  listModels(request: Pick<provider.ListModelsRequest, 'pageSize' | 'pageToken'>): MessageInitShape<typeof provider.ListModelsResponseSchema>;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Creates the served-model catalog of one deployment. */
export function createServedModelCatalog(options: ServedModelCatalogOptions): ServedModelCatalog {
  const byId = new Map(options.models.map((model) => [model.id, model]));
  const now = options.now ?? (() => new Date());
  return {
    provider: options.provider,
    deployment: options.deployment,
    models: options.models,
    require(id) {
      if (!id) throw invalidArgument('model', 'must name one of the models ListModels returns');
      const model = byId.get(id);
      if (!model) {
        const known = options.models.map((m) => m.id).slice(0, 10).join(', ');
        throw invalidArgument('model', `"${id}" is not served by deployment ${options.deployment} (serves: ${known})`, 'MODEL_NOT_SERVED');
      }
      return model;
    },
    listModels(request) {
      if (request.pageSize < 0) throw invalidArgument('page_size', 'must not be negative');
      const size = Math.min(request.pageSize === 0 ? DEFAULT_PAGE_SIZE : request.pageSize, MAX_PAGE_SIZE);
      const offset = decodePageToken(request.pageToken, options.models.length);
      const page = options.models.slice(offset, offset + size);
      const next = offset + page.length;
      const at = now();
      return {
        models: page.map((model) => modelInfo(model, options, at)),
        nextPageToken: next < options.models.length ? encodePageToken(next) : '',
      };
    },
  };
}

function modelInfo(model: ServedModel, options: ServedModelCatalogOptions, at: Date): MessageInitShape<typeof common.ModelInfoSchema> {
  const catalogPrice = options.priceCatalog?.priceAt({ provider: options.provider, model: model.id, deployment: options.deployment }, at);
  const price = catalogPrice ?? model.price;
  const c = model.capabilities;
  return {
    ref: { provider: options.provider, model: model.id, deployment: options.deployment },
    displayName: model.displayName,
    capabilities: {
      contextWindowTokens: BigInt(c.contextWindowTokens),
      maxOutputTokens: BigInt(c.maxOutputTokens),
      tools: c.tools,
      jsonOutput: c.jsonOutput,
      structuredOutput: c.structuredOutput,
      vision: c.vision,
      streaming: c.streaming,
    },
    ...(price ? { price: modelPrice(price) } : {}),
    selfHosted: model.selfHosted || (catalogPrice?.selfHosted ?? false),
  };
}

function modelPrice(price: CatalogPrice | ConfiguredPrice): MessageInitShape<typeof common.ModelPriceSchema> {
  return {
    version: price.version,
    inputNanosUsdPerMtok: price.inputNanosPerMtok,
    outputNanosUsdPerMtok: price.outputNanosPerMtok,
    cachedInputNanosUsdPerMtok: price.cachedInputNanosPerMtok,
    cacheWriteInputNanosUsdPerMtok: price.cacheWriteInputNanosPerMtok,
    capacityNanosUsdPerHour: price.capacityNanosPerHour,
    source: price.source,
  };
}

// Page tokens are opaque to callers; inside they are just an offset, tagged so a token from another API is refused.
function encodePageToken(offset: number): string {
  return Buffer.from(`models:${offset}`).toString('base64url');
}

function decodePageToken(token: string, total: number): number {
  if (!token) return 0;
  const match = /^models:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  const offset = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(offset) || offset > total) throw invalidArgument('page_token', 'is not a token from a previous ListModels call');
  return offset;
}
