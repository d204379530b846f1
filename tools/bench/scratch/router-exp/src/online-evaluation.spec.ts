import { status } from '@grpc/grpc-js';
import { evaluator } from '@switchyard/contracts';
import { createLogger, ServiceFailure, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { chatMessage, messageText, type EvaluatorServiceImplementation } from '@switchyard/sdk';
import { startRouterFixture, type RouterFixture } from './testing/router-fixture';

const POLICY = `
version: 1
difficultySlope: 3
evaluatorMinSamples: 10
qualityPriors:
  anthropic/claude-sonnet-4-5: { default: 0.97 }
  openai/gpt-4.1-nano: { default: 0.75 }
teams:
  acme:
    models: [anthropic/claude-sonnet-4-5, openai/gpt-4.1-nano]
    qualityTarget: 0.8
    baselineModel: anthropic/claude-sonnet-4-5
    onlineSampleRate: 1
    canary:
      - { model: anthropic/claude-sonnet-4-5, weight: 1 }
  broke:
    models: [anthropic/claude-sonnet-4-5, openai/gpt-4.1-nano]
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('router with an evaluator: measured quality, the validation gate and online sampling', () => {
  let f: RouterFixture;
  let server: RunningGrpcServer;
  const statuses = new Map<string, evaluator.ModelStatus>();
  const exchanges: evaluator.SubmitExchangeRequest[] = [];

  beforeAll(async () => {
    const unimplemented = async () => {
      throw new ServiceFailure(status.UNIMPLEMENTED, 'not in the fake');
    };
    const implementation = Object.fromEntries(evaluator.EvaluatorService.methods.map((m) => [m.localName, unimplemented])) as unknown as EvaluatorServiceImplementation;
    implementation.getQualityScores = async () => ({ scores: [{ model: 'openai/gpt-4.1-nano', taskClass: 'chat', meanScore: 0.95, sampleCount: 200n }] });
    implementation.getModelStatus = async (request) => ({ status: statuses.get(request.model) ?? evaluator.ModelStatus.UNSPECIFIED });
    implementation.submitExchange = async (request) => {
      exchanges.push(request);
      return { accepted: true };
    };
    server = await startGrpcServer({
      name: 'fake-evaluator',
      address: '127.0.0.1:0',
      errorDomain: 'evaluator.switchyard.dev',
      services: [{ service: evaluator.EvaluatorService, implementation }],
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    f = await startRouterFixture({ policy: POLICY, configure: (config) => (config.evaluator = { address: server.address, refreshMs: 100 }) });
  });
  afterAll(async () => {
    await f.close();
    await server.shutdown(50);
  });

  it("uses the evaluator's measured quality instead of the prior", async () => {
    const explained = await f.client.explainRoute({ messages: [chatMessage('user', 'hi, how are you?')] });
    const nano = explained.route!.candidates.find((c) => c.model?.model === 'gpt-4.1-nano')!;
    expect(nano.qualitySource).toBe('evaluator');
    expect(nano.expectedQuality).toBeGreaterThan(0.95);
  });

  it('gives a canary traffic only after the evaluator validated it', async () => {
    const before = await f.client.explainRoute({ messages: [chatMessage('user', 'hi, how are you?')], context: { requestId: 'canary-1' } });
    expect(before.route?.rule).toBe('cheapest_meeting_quality');
    statuses.set('anthropic/claude-sonnet-4-5', evaluator.ModelStatus.VALIDATED);
    let after = before;
    for (let i = 0; i < 40 && after.route?.rule !== 'canary'; i++) {
      await sleep(50);
      after = await f.client.explainRoute({ messages: [chatMessage('user', 'hi, how are you?')], context: { requestId: 'canary-1' } });
    }
    expect(after.route?.rule).toBe('canary');
    expect(after.route?.chosen?.model).toBe('claude-sonnet-4-5');
    statuses.set('anthropic/claude-sonnet-4-5', evaluator.ModelStatus.REJECTED);
    for (let i = 0; i < 40 && after.route?.chosen?.model === 'claude-sonnet-4-5'; i++) {
      await sleep(50);
      after = await f.client.explainRoute({ messages: [chatMessage('user', 'hi, how are you?')], context: { requestId: 'canary-1' } });
    }
    expect(after.route!.candidates.find((c) => c.model?.model === 'claude-sonnet-4-5')?.exclusionReason).toBe("rejected by the evaluator's validation gate");
    statuses.delete('anthropic/claude-sonnet-4-5');
  });

  it('samples exchanges of teams that allow it, for unary and streamed replies, without waiting', async () => {
    const unary = await f.client.generate({ messages: [chatMessage('user', 'hi, how are you?')], context: { requestId: 'sample-1' } });
    for await (const _ of f.client.streamGenerate({ messages: [chatMessage('user', 'hi again')], context: { requestId: 'sample-2' } })) void _;
    for (let i = 0; i < 50 && exchanges.length < 2; i++) await sleep(20);
    const first = exchanges.find((e) => e.requestId === 'sample-1')!;
    expect(first.teamId).toBe('acme');
    expect(messageText(first.reply)).toBe(messageText(unary.message));
    expect(first.classification?.classifierVersion).toBeTruthy();
    const streamed = exchanges.find((e) => e.requestId === 'sample-2')!;
    expect(messageText(streamed.reply)).toContain('streamed answer');
  });
});
