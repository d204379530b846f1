import { status as Status } from '@grpc/grpc-js';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { createPriceCatalog, defaultPriceCatalog } from '@switchyard/pricing';
import { createServedModelCatalog, MINIMAL_CAPABILITIES, servedModelConfigSchema, toServedModels } from './served-models';

const models = toServedModels(
  ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'own-model'].map((id) => servedModelConfigSchema.parse({ id })),
  (id) => (id.startsWith('gpt') ? { ...MINIMAL_CAPABILITIES, tools: true, contextWindowTokens: 128_000 } : MINIMAL_CAPABILITIES),
);

describe('createServedModelCatalog', () => {
  const catalog = createServedModelCatalog({ provider: 'openai', deployment: 'openai-test', models, priceCatalog: defaultPriceCatalog() });

  it('lists every model with its ref, capabilities and catalog price', () => {
    const page = catalog.listModels({ pageSize: 0, pageToken: '' });
    expect(page.models?.map((m) => m.ref?.model)).toEqual(['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'own-model']);
    expect(page.nextPageToken).toBe('');
    const mini = page.models?.[0];
    const expected = defaultPriceCatalog().priceAt({ provider: 'openai', model: 'gpt-4o-mini' }, new Date());
    expect(mini?.ref).toEqual({ provider: 'openai', model: 'gpt-4o-mini', deployment: 'openai-test' });
    expect(mini?.capabilities?.contextWindowTokens).toBe(128_000n);
    expect(mini?.price?.inputNanosUsdPerMtok).toBe(expected?.inputNanosPerMtok);
    expect(mini?.price?.version).toBe(expected?.version);
    expect(page.models?.[3]?.price).toBeUndefined();
  });

  it('pages with opaque tokens and refuses foreign ones', () => {
    const first = catalog.listModels({ pageSize: 3, pageToken: '' });
    expect(first.models).toHaveLength(3);
    const second = catalog.listModels({ pageSize: 3, pageToken: first.nextPageToken ?? '' });
    expect(second.models?.map((m) => m.ref?.model)).toEqual(['own-model']);
    expect(second.nextPageToken).toBe('');
    expect(() => catalog.listModels({ pageSize: 3, pageToken: 'bm9wZQ' })).toThrow(ServiceFailure);
    expect(() => catalog.listModels({ pageSize: -1, pageToken: '' })).toThrow(/page_size/);
  });

  it('refuses a model it does not serve with INVALID_ARGUMENT naming `model`', () => {
    expect(catalog.require('gpt-4o').id).toBe('gpt-4o');
    try {
      catalog.require('gpt-5');
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(ServiceFailure);
      expect((error as ServiceFailure).code).toBe(Status.INVALID_ARGUMENT);
      expect((error as ServiceFailure).details.fieldViolations?.[0]?.field).toBe('model');
    }
  });

  it('uses the config price (capacity) for a self-hosted model the catalog does not know, and the catalog price when it does', () => {
    const selfHosted = toServedModels([
      servedModelConfigSchema.parse({ id: 'qwen2.5-7b-instruct', selfHosted: true, price: { capacityUsdPerHour: '9.99' } }),
      servedModelConfigSchema.parse({ id: 'llama-3.1-8b', selfHosted: true, price: { capacityUsdPerHour: '0.85', source: 'L4 on-demand' } }),
    ]);
    const vllm = createServedModelCatalog({ provider: 'vllm-qwen', deployment: 'vllm-qwen-l4', models: selfHosted, priceCatalog: defaultPriceCatalog() });
    const [qwen, llama] = vllm.listModels({ pageSize: 0, pageToken: '' }).models ?? [];
    expect(qwen?.price?.capacityNanosUsdPerHour).toBe(850_000_000n); // the catalog's entry wins over the config's 9.99
    expect(llama?.price).toMatchObject({ capacityNanosUsdPerHour: 850_000_000n, source: 'L4 on-demand', version: 'config' });
    expect(llama?.selfHosted).toBe(true);
  });

  it('takes prices at the clock given, so a price change shows up at its effective date', () => {
    const at = (iso: string) => () => new Date(iso);
    const entries = defaultPriceCatalog().entries().filter((e) => e.provider === 'openai' && e.model === 'gpt-4o');
    const history = createPriceCatalog(entries, { version: 'test' });
    const old = createServedModelCatalog({ provider: 'openai', deployment: 'd', models, priceCatalog: history, now: at('2024-06-01T00:00:00Z') });
    const now = createServedModelCatalog({ provider: 'openai', deployment: 'd', models, priceCatalog: history, now: at('2025-06-01T00:00:00Z') });
    const price = (c: typeof old) => c.listModels({ pageSize: 0, pageToken: '' }).models?.[1]?.price?.inputNanosUsdPerMtok;
    expect(price(old)).toBe(5_000_000_000n);
    expect(price(now)).toBe(2_500_000_000n);
  });
});

describe('toServedModels', () => {
  it('lets the config override capabilities field by field and refuses duplicates', () => {
    const [model] = toServedModels([servedModelConfigSchema.parse({ id: 'm', capabilities: { vision: true } })]);
    expect(model?.capabilities).toEqual({ ...MINIMAL_CAPABILITIES, vision: true });
    expect(() => toServedModels([servedModelConfigSchema.parse({ id: 'm' }), servedModelConfigSchema.parse({ id: 'm' })])).toThrow(/twice/);
  });
});
