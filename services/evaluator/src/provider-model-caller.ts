import { computeCost, type PriceCatalog } from '@switchyard/pricing';
import { createProviderClient, messageText, type ProviderServiceClient } from '@switchyard/sdk';
import { ModelCallError, modelCallError, toChatMessages, toGenerationParams, type ModelCaller } from './model-caller';
import { splitModelName, type ModelNaming } from './model-names';

/** Options for createProviderModelCaller. */
export interface ProviderModelCallerOptions {
  /** ProviderService addresses by provider name, e.g. `{ openai: "127.0.0.1:50061" }`. */
  providers: Readonly<Record<string, string>>;
  /** Qualifies bare model ids with their provider. */
  naming: ModelNaming;
  /** Prices for the cost of each call; a model without a price costs 0. */
  catalog?: PriceCatalog;
  now?: () => Date;
}

/**
 * Calls a provider adapter directly (no router, no budget, no billing): for pinned runs, and for
 * local stacks and tests without a router. The model's provider picks the adapter; the cost comes
 * from the price catalog.
 */
export function createProviderModelCaller(options: ProviderModelCallerOptions): ModelCaller {
  const clients = new Map<string, ProviderServiceClient>();
  const now = options.now ?? (() => new Date());
  const names = Object.keys(options.providers);
  const clientFor = (provider: string): ProviderServiceClient => {
    const address = options.providers[provider];
    if (!address) throw new ModelCallError(`no provider adapter configured for "${provider}" (configured: ${names.join(', ') || 'none'})`, 'INVALID_ARGUMENT', false);
    let client = clients.get(provider);
    if (!client) {
      client = createProviderClient(address);
      clients.set(provider, client);
    }
    return client;
  };
  return {
    kind: 'provider',
    async generate(request) {
      const qualified = splitModelName(options.naming.canonical(request.model));
      // A bare id with one configured adapter needs no provider name.
      const provider = qualified.provider || (names.length === 1 ? names[0]! : '');
      if (!provider) throw new ModelCallError(`model "${request.model}" names no provider; use "provider/model"`, 'INVALID_ARGUMENT', false);
      const client = clientFor(provider);
      const started = performance.now();
      try {
        const response = await client.generate(
          { model: qualified.model, messages: toChatMessages(request.messages), params: toGenerationParams(request.params), requestId: request.requestId },
          { timeoutMs: request.timeoutMs, signal: request.signal },
        );
        const usage = {
          inputTokens: response.usage?.inputTokens ?? 0n,
          outputTokens: response.usage?.outputTokens ?? 0n,
          cachedInputTokens: response.usage?.cachedInputTokens ?? 0n,
          cacheWriteInputTokens: response.usage?.cacheWriteInputTokens ?? 0n,
        };
        const price = options.catalog?.priceAt({ provider, model: qualified.model }, now());
        return {
          text: messageText(response.message),
          costNanos: price ? computeCost(usage, price) : 0n,
          latencyMs: performance.now() - started,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          servedModel: response.responseModel || qualified.model,
        };
      } catch (error) {
        throw modelCallError(error);
      }
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
