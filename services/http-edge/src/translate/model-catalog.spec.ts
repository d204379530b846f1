import { create } from '@bufbuild/protobuf';
import { router } from '@switchyard/contracts';
import { catalogEntries, findCatalogEntry, openAIModelList } from './model-catalog';

const model = (provider: string, name: string, deployment: string, available: boolean) =>
  create(router.RoutableModelSchema, { info: { ref: { provider, model: name, deployment }, displayName: name, price: { inputNanosUsdPerMtok: 150_000_000n } }, available });

describe('catalogEntries', () => {
  const entries = catalogEntries(
    [model('openai', 'gpt-4o-mini', 'a', false), model('openai', 'gpt-4o-mini', 'b', true), model('vllm', 'Qwen/Qwen2.5-7B', 'gpu-1', true)],
    ['switchyard/auto', 'team/cheap'],
  );

  it('puts aliases first and merges deployments of one provider/model', () => {
    expect(entries.map((e) => e.id)).toEqual(['switchyard/auto', 'team/cheap', 'openai/gpt-4o-mini', 'vllm/Qwen/Qwen2.5-7B']);
    expect(entries[2]).toMatchObject({ deployments: ['a', 'b'], available: true, ownedBy: 'openai' });
  });

  it('finds by id, alias or bare model name', () => {
    expect(findCatalogEntry(entries, 'gpt-4o-mini')?.id).toBe('openai/gpt-4o-mini');
    expect(findCatalogEntry(entries, 'team/cheap')?.alias).toBe(true);
    expect(findCatalogEntry(entries, 'nope')).toBeUndefined();
  });

  it('renders prices as exact decimal strings', () => {
    const list = openAIModelList(entries) as { data: Array<{ switchyard: { price?: { input_nanos_usd_per_mtok: string } } }> };
    expect(list.data[2]?.switchyard.price?.input_nanos_usd_per_mtok).toBe('150000000');
  });
});
