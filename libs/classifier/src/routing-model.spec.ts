import committedModel from './model/routing-model.json';
import {
  decodeRoutingModel,
  encodeHashedWeights,
  loadRoutingModel,
  ROUTING_MODEL_FORMAT,
  type RoutingModelArtifact,
} from './routing-model';

/** A deep copy of the committed artifact with the value at a dotted path replaced (undefined deletes it). */
function mutated(dottedPath: string, value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(committedModel)) as Record<string, unknown>;
  const keys = dottedPath.split('.');
  let target = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

const { features, weights } = committedModel;

describe('loadRoutingModel', () => {
  it('accepts the committed artifact', () => {
    const artifact = loadRoutingModel(committedModel);
    expect(artifact.format).toBe(ROUTING_MODEL_FORMAT);
    expect(artifact.version).toMatch(/^learned-\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(artifact.weights.dense.map((d) => d.name)).toEqual(artifact.features.dense);
    expect(artifact.selfCheck.length).toBeGreaterThan(0);
  });

  it('keeps the committed artifact small', () => {
    expect(JSON.stringify(committedModel).length).toBeLessThan(1.5 * 1024 * 1024);
  });

  it.each<[string, unknown, string]>([
    ['format', 'something-else', '"format"'],
    ['version', '', '"version"'],
    ['created', 'yesterday', '"created"'],
    ['features', undefined, '"features"'],
    ['features.hashBits', 99, '"features.hashBits"'],
    ['features.wordBigrams', 'yes', '"features.wordBigrams"'],
    ['features.charNgrams', [9], '"features.charNgrams[0]"'],
    ['features.dense', ['shoeSize', ...features.dense.slice(1)], '"features.dense[0]"'],
    ['weights.hashedWeights', weights.hashedWeights.slice(8), '"weights.hashedWeights"'],
    ['weights.bias', null, '"weights.bias"'],
    ['weights.dense', weights.dense.slice(1), '"weights.dense"'],
    ['weights.dense.1.std', 0, '"weights.dense[1].std"'],
    ['weights.dense.0.name', 'logWords', '"weights.dense[0].name"'],
    ['selfCheck.0.probability', 2, '"selfCheck[0].probability"'],
    ['training', [], '"training"'],
  ])('rejects a bad %s, naming the field', (dottedPath, value, field) => {
    expect(() => loadRoutingModel(mutated(dottedPath, value))).toThrow(field);
  });

  it('rejects a value that is not an object', () => {
    expect(() => loadRoutingModel('model')).toThrow('invalid routing model: field "(root)" must be an object');
  });
});

describe('hashed weight encoding', () => {
  it('round-trips within half a quantization step', () => {
    const values = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i) * 0.3);
    const encoded = encodeHashedWeights(values);
    const artifact: RoutingModelArtifact = {
      ...loadRoutingModel(committedModel),
      features: { hashBits: 4, wordUnigrams: true, wordBigrams: false, charNgrams: [], dense: [] },
      weights: { bias: 0, ...encoded, denseClamp: 4, dense: [] },
    };
    const decoded = decodeRoutingModel(loadRoutingModel(artifact));
    values.forEach((value, i) => expect(Math.abs(decoded.hashed[i] - value)).toBeLessThanOrEqual(encoded.hashedScale / 2));
  });
});
