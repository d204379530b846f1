import type { Logger, RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog, type PriceCatalog } from '@switchyard/pricing';
import { createServedModelCatalog, instrumentProviderService, startProviderServer, toServedModels, warmTokenEstimator } from '@switchyard/provider-kit';
import { openAIModelCapabilities } from './capabilities';
import type { OpenAIAdapterConfig } from './config';
import { createOpenAIClient, createOpenAIProviderService } from './provider-service';

/** Options of {@link startOpenAIAdapter}. */
export interface OpenAIAdapterOptions {
  config: OpenAIAdapterConfig;
  /** The provider key (read by main.ts from the environment or the key file). Never logged. */
  apiKey: string;
  /** Prices for ListModels; default the shipped catalog. */
  priceCatalog?: PriceCatalog;
  logger?: Logger;
}

/** Wires adapter-openai from its config: SDK client, served models with prices, gRPC server. */
export async function startOpenAIAdapter(options: OpenAIAdapterOptions): Promise<RunningGrpcServer> {
  const { config } = options;
  const client = createOpenAIClient({
    baseURL: config.upstream.baseUrl,
    apiKey: options.apiKey,
    timeoutMs: config.upstream.timeoutMs,
    organization: config.upstream.organization,
    project: config.upstream.project,
    extraHeaders: config.upstream.extraHeaders,
  });
  const catalog = createServedModelCatalog({
    provider: config.provider,
    deployment: config.deployment,
    models: toServedModels(config.models, openAIModelCapabilities),
    priceCatalog: options.priceCatalog ?? defaultPriceCatalog(),
  });
  warmTokenEstimator();
  return startProviderServer({
    name: 'adapter-openai',
    listen: config.listen,
    implementation: instrumentProviderService(createOpenAIProviderService({ client, catalog, upstreamTimeoutMs: config.upstream.timeoutMs }), {
      provider: catalog.provider,
      upstreamBaseUrl: config.upstream.baseUrl,
    }),
    apiKeysFile: config.auth.apiKeysFile,
    tls: config.tls,
    logger: options.logger,
    drainGraceMs: config.drainGraceMs,
  });
}
