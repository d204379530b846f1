import { evaluator } from '@switchyard/contracts';
import { createLogger, ServiceFailure, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { createBillingClient, createEvaluatorClient, type EvaluatorServiceImplementation } from '@switchyard/sdk';
import { status } from '@grpc/grpc-js';
import { parseRoutingPolicy } from './policy/policy-loader';
import { createPriceSource } from './price-source';
import { createQualityScores } from './quality-scores';
import { startFakeBilling } from './testing/fake-billing-service';

const policy = parseRoutingPolicy(`
version: 1
evaluatorMinSamples: 10
defaultPrior: 0.4
qualityPriors:
  openai/gpt-4.1-mini: { default: 0.8, math: 0.7 }
teams:
  a: { models: ["*"] }
`);

describe('quality scores', () => {
  let server: RunningGrpcServer;
  const state = { down: false };
  beforeAll(async () => {
    const unimplemented = async () => {
      throw new ServiceFailure(status.UNIMPLEMENTED, 'not in the fake');
    };
    const implementation = Object.fromEntries(evaluator.EvaluatorService.methods.map((m) => [m.localName, unimplemented])) as unknown as EvaluatorServiceImplementation;
    implementation.getQualityScores = async () => {
      if (state.down) throw new ServiceFailure(status.UNAVAILABLE, 'down');
      return {
        scores: [
          { model: 'openai/gpt-4.1-mini', taskClass: 'math', meanScore: 0.9, sampleCount: 50n },
          { model: 'gpt-4.1-mini', taskClass: 'TASK_CLASS_CODE', meanScore: 0.66, sampleCount: 50n },
          { model: 'openai/gpt-4.1-mini', taskClass: 'chat', meanScore: 0.1, sampleCount: 3n },
        ],
      };
    };
    server = await startGrpcServer({
      name: 'fake-evaluator',
      address: '127.0.0.1:0',
      errorDomain: 'evaluator.switchyard.dev',
      services: [{ service: evaluator.EvaluatorService, implementation }],
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
  });
  afterAll(() => server.shutdown(50));

  it('prefers measured scores with enough samples, else the priors, and keeps the last scores when the evaluator fails', async () => {
    const client = createEvaluatorClient(server.address);
    const quality = createQualityScores({ policy, evaluator: client });
    expect(quality.lookup('openai/gpt-4.1-mini', 'math')).toEqual({ score: 0.7, source: 'prior' });
    await quality.refresh();
    expect(quality.lookup('openai/gpt-4.1-mini', 'math')).toEqual({ score: 0.9, source: 'evaluator' });
    expect(quality.lookup('openai/gpt-4.1-mini', 'code')).toEqual({ score: 0.66, source: 'evaluator' });
    expect(quality.lookup('openai/gpt-4.1-mini', 'chat')).toEqual({ score: 0.8, source: 'prior' }); // too few samples
    expect(quality.lookup('x/unknown', 'chat')).toEqual({ score: 0.4, source: 'prior' });
    state.down = true;
    await quality.refresh();
    expect(quality.lookup('openai/gpt-4.1-mini', 'math').source).toBe('evaluator');
    expect(quality.byTaskClass('openai/gpt-4.1-mini')['math']).toBe(0.9);
    quality.close();
    client.close();
  });
});

describe('price source', () => {
  it("charges with billing's catalog once it answers, and the shipped one until then", async () => {
    const billing = await startFakeBilling();
    const client = createBillingClient(billing.address);
    const prices = createPriceSource({ shipped: defaultPriceCatalog(), billing: client });
    expect(prices.origin()).toBe('shipped');
    await prices.refresh();
    expect(prices.origin()).toBe('billing');
    const price = prices.priceAt({ provider: 'vllm-qwen', model: 'qwen2.5-7b-instruct', deployment: 'vllm-qwen-l4' }, new Date())!;
    const shipped = defaultPriceCatalog().priceAt({ provider: 'vllm-qwen', model: 'qwen2.5-7b-instruct', deployment: 'vllm-qwen-l4' }, new Date())!;
    expect(price).toMatchObject({ capacityNanosPerHour: shipped.capacityNanosPerHour, capacityTokensPerHour: shipped.capacityTokensPerHour, selfHosted: true });
    await billing.stop();
    await prices.refresh(); // fails, keeps billing's prices
    expect(prices.origin()).toBe('billing');
    prices.close();
    client.close();
  });
});
