import type { CatalogPrice } from './catalog-price';
import { createPriceCatalog, defaultPriceCatalog, parsePriceCatalogFile, PriceCatalogError } from './price-catalog';
import { parseUsdToNanos } from './usd-amount';

const at = (iso: string) => new Date(iso);
const price = (overrides: Partial<CatalogPrice>): CatalogPrice => ({
  provider: 'p',
  model: 'm',
  version: 'v1',
  inputNanosPerMtok: 1n,
  outputNanosPerMtok: 2n,
  cachedInputNanosPerMtok: 0n,
  capacityNanosPerHour: 0n,
  source: 'test',
  effectiveFrom: at('2025-01-01T00:00:00Z'),
  selfHosted: false,
  ...overrides,
});

describe('defaultPriceCatalog', () => {
  const catalog = defaultPriceCatalog();
  const now = at('2026-11-26T00:00:00Z');

  it.each([
    // [provider, model, input $/M, output $/M, cached $/M]
    ['openai', 'gpt-4o', '2.50', '10.00', '1.25'],
    ['openai', 'gpt-4o-mini', '0.15', '0.60', '0.075'],
    ['openai', 'gpt-4.1', '2.00', '8.00', '0.50'],
    ['openai', 'gpt-4.1-mini', '0.40', '1.60', '0.10'],
    ['openai', 'gpt-4.1-nano', '0.10', '0.40', '0.025'],
    ['openai', 'o4-mini', '1.10', '4.40', '0.275'],
    ['openai', 'gpt-4-1106-preview', '10.00', '30.00', '10.00'],
    ['anthropic', 'claude-opus-4-1', '15.00', '75.00', '1.50'],
    ['anthropic', 'claude-sonnet-4-5', '3.00', '15.00', '0.30'],
    ['anthropic', 'claude-haiku-4-5', '1.00', '5.00', '0.10'],
    ['anthropic', 'claude-3-5-haiku', '0.80', '4.00', '0.08'],
    ['deepinfra', 'mixtral-8x7b-instruct', '0.24', '0.24', '0.24'],
  ])('%s/%s is priced now', (provider, model, input, output, cached) => {
    const entry = catalog.priceAt({ provider, model }, now);
    expect(entry).toMatchObject({
      inputNanosPerMtok: parseUsdToNanos(input),
      outputNanosPerMtok: parseUsdToNanos(output),
      cachedInputNanosPerMtok: parseUsdToNanos(cached),
      capacityNanosPerHour: 0n,
      selfHosted: false,
      version: '2026-11-26',
    });
    expect(entry!.source).toMatch(/^https:\/\//);
  });

  it.each([
    // [model, cache-write $/M = 1.25 × input, Anthropic's 5-minute cache]
    ['claude-opus-4-1', '18.75'],
    ['claude-sonnet-4-5', '3.75'],
    ['claude-haiku-4-5', '1.25'],
    ['claude-3-5-haiku', '1.00'],
  ])('anthropic/%s prices cache writes at 1.25× input', (model, cacheWrite) => {
    const entry = catalog.priceAt({ provider: 'anthropic', model }, now)!;
    expect(entry.cacheWriteInputNanosPerMtok).toBe(parseUsdToNanos(cacheWrite));
    expect(entry.cacheWriteInputNanosPerMtok! * 4n).toBe(entry.inputNanosPerMtok * 5n);
  });

  it('leaves the cache-write price unset for models without billed cache writes', () => {
    expect(catalog.priceAt({ provider: 'openai', model: 'gpt-4o' }, now)?.cacheWriteInputNanosPerMtok).toBeUndefined();
  });

  it('keeps gpt-4o price history by effective date', () => {
    const ref = { provider: 'openai', model: 'gpt-4o' };
    expect(catalog.priceAt(ref, at('2024-06-01T00:00:00Z'))?.inputNanosPerMtok).toBe(5_000_000_000n);
    expect(catalog.priceAt(ref, at('2024-10-01T23:59:59.999Z'))?.inputNanosPerMtok).toBe(5_000_000_000n);
    expect(catalog.priceAt(ref, at('2024-10-02T00:00:00Z'))?.inputNanosPerMtok).toBe(2_500_000_000n);
    expect(catalog.priceAt(ref, at('2024-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('prices self-hosted deployments by capacity', () => {
    const qwen = catalog.priceAt({ provider: 'vllm-qwen', model: 'qwen2.5-7b-instruct', deployment: 'vllm-qwen-l4' }, now);
    expect(qwen).toMatchObject({ selfHosted: true, capacityNanosPerHour: 850_000_000n, inputNanosPerMtok: 0n, deployment: 'vllm-qwen-l4' });
    expect(catalog.capacityAt('vllm-qwen-l4', now)?.model).toBe('qwen2.5-7b-instruct');
    expect(catalog.capacityAt('in-house-a100', now)?.capacityNanosPerHour).toBe(2_400_000_000n);
    expect(catalog.capacityDeployments()).toEqual(['in-house-a100', 'vllm-qwen-l4']);
  });

  it('does not price unknown models', () => {
    expect(catalog.priceAt({ provider: 'openai', model: 'gpt-5-imaginary' }, now)).toBeUndefined();
    expect(catalog.priceAt({ provider: 'anthropic', model: 'gpt-4o' }, now)).toBeUndefined();
  });

  it('is versioned and every entry documents its source', () => {
    expect(catalog.version).toBe('2026-11-26');
    for (const entry of catalog.entries()) {
      expect(entry.source.length).toBeGreaterThan(5);
      expect(entry.note).toBeTruthy();
    }
  });
});

describe('createPriceCatalog', () => {
  it('prefers a deployment-specific price, then falls back to the model-wide one', () => {
    const catalog = createPriceCatalog([
      price({ inputNanosPerMtok: 10n }),
      price({ deployment: 'eu', inputNanosPerMtok: 20n, effectiveUntil: at('2025-06-01T00:00:00Z') }),
    ]);
    expect(catalog.priceAt({ provider: 'p', model: 'm', deployment: 'eu' }, at('2025-03-01T00:00:00Z'))?.inputNanosPerMtok).toBe(20n);
    expect(catalog.priceAt({ provider: 'p', model: 'm', deployment: 'eu' }, at('2025-07-01T00:00:00Z'))?.inputNanosPerMtok).toBe(10n);
    expect(catalog.priceAt({ provider: 'p', model: 'm', deployment: 'us' }, at('2025-03-01T00:00:00Z'))?.inputNanosPerMtok).toBe(10n);
    expect(catalog.priceAt({ provider: 'p', model: 'm' }, at('2024-12-31T23:59:59Z'))).toBeUndefined();
  });

  it('treats effectiveUntil as exclusive', () => {
    const catalog = createPriceCatalog([
      price({ version: 'v1', effectiveUntil: at('2025-02-01T00:00:00Z') }),
      price({ version: 'v2', effectiveFrom: at('2025-02-01T00:00:00Z') }),
    ]);
    expect(catalog.priceAt({ provider: 'p', model: 'm' }, at('2025-01-31T23:59:59.999Z'))?.version).toBe('v1');
    expect(catalog.priceAt({ provider: 'p', model: 'm' }, at('2025-02-01T00:00:00Z'))?.version).toBe('v2');
  });

  it.each([
    ['overlapping ranges', [price({}), price({ effectiveFrom: at('2025-02-01T00:00:00Z') })], /entries\[1\]\.effectiveFrom: p\/m starting .* overlaps/],
    ['a gap', [price({ effectiveUntil: at('2025-02-01T00:00:00Z') }), price({ effectiveFrom: at('2025-03-01T00:00:00Z') })], /entries\[1\]\.effectiveFrom: .*gap/],
    ['a negative price', [price({ outputNanosPerMtok: -1n })], /entries\[0\]\.outputNanosPerMtok out of range/],
    ['an absurd price', [price({ inputNanosPerMtok: 10n ** 15n })], /entries\[0\]\.inputNanosPerMtok out of range/],
    ['a negative cache-write price', [price({ cacheWriteInputNanosPerMtok: -1n })], /entries\[0\]\.cacheWriteInputNanosPerMtok out of range/],
    ['an absurd cache-write price', [price({ cacheWriteInputNanosPerMtok: 10n ** 15n })], /entries\[0\]\.cacheWriteInputNanosPerMtok out of range/],
    ['a missing version', [price({ version: '' })], /entries\[0\]\.version must be set/],
  ])('refuses %s', (_name, entries, message) => {
    expect(() => createPriceCatalog(entries)).toThrow(PriceCatalogError);
    expect(() => createPriceCatalog(entries)).toThrow(message);
  });
});

describe('parsePriceCatalogFile', () => {
  const entry = {
    provider: 'p',
    model: 'm',
    version: 'v1',
    effectiveFrom: '2025-01-01T00:00:00Z',
    inputUsdPerMtok: '0.15',
    outputUsdPerMtok: '0.6',
    cachedInputUsdPerMtok: '0.075',
    source: 'https://example.test/pricing',
  };

  it('converts USD strings to nano-USD exactly', () => {
    const catalog = parsePriceCatalogFile({ catalogVersion: 'x', entries: [entry] });
    expect(catalog.entries()[0]).toMatchObject({ inputNanosPerMtok: 150_000_000n, outputNanosPerMtok: 600_000_000n, cachedInputNanosPerMtok: 75_000_000n, capacityNanosPerHour: 0n });
    expect(catalog.entries()[0].cacheWriteInputNanosPerMtok).toBeUndefined();
  });

  it('reads an optional cache-write price', () => {
    const catalog = parsePriceCatalogFile({ catalogVersion: 'x', entries: [{ ...entry, cacheWriteInputUsdPerMtok: '0.1875' }] });
    expect(catalog.entries()[0].cacheWriteInputNanosPerMtok).toBe(187_500_000n);
  });

  it.each([
    ['a float-looking price with too many decimals', { ...entry, inputUsdPerMtok: '0.0000000001' }],
    ['a negative price', { ...entry, inputUsdPerMtok: '-1' }],
    ['a negative cache-write price', { ...entry, cacheWriteInputUsdPerMtok: '-1' }],
    ['a number instead of a string', { ...entry, inputUsdPerMtok: 0.15 }],
    ['a bad date', { ...entry, effectiveFrom: 'yesterday' }],
  ])('refuses %s', (_name, bad) => {
    expect(() => parsePriceCatalogFile({ catalogVersion: 'x', entries: [bad] })).toThrow();
  });
});
