// Hostile and bad input: a corpus of bad requests through the SDK, as raw protobuf bytes, as
// hand-made gRPC frames and as HTTP bodies to the edge. Each gets the right status with a message
// naming the problem; every service stays up; nothing is billed.
import { chatMessage, createApiKeyClient, createRouterClient, SwitchyardError, type ApiKeyServiceClient, type RouterServiceClient } from '@switchyard/sdk';
import { badRequestCorpus, FRAME_SERVED_REQUEST_ID, type BadRequestCase, type CorpusClients } from './bad-request-corpus';
import { rawHttp2Call, rawUnaryCall } from './harness/raw-grpc';
import { startReliabilityStack, type ReliabilityStack } from './harness/reliability-stack';
import { reportScenario } from './harness/scenario-report';

const corpus = badRequestCorpus();

describe('hostile input: every bad request gets the right status, services stay up, nothing is billed', () => {
  let stack: ReliabilityStack;
  const routers = new Map<string, RouterServiceClient>();
  let apiKeysAsAdmin: ApiKeyServiceClient;
  let clients: CorpusClients;
  const tally = { tried: 0, sdk: 0, raw: 0, frame: 0, edge: 0 };

  beforeAll(async () => {
    stack = await startReliabilityStack({ label: 'hostile', teams: ['hostile', 'restricted', 'canary'], edge: true });
    apiKeysAsAdmin = createApiKeyClient(stack.routers[0]!.address, { apiKey: stack.keys.admin });
    clients = {
      router: (team) => {
        if (!routers.has(team)) routers.set(team, createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys[team], timeoutMs: 20_000 }));
        return routers.get(team)!;
      },
      apiKeysAsAdmin,
    };
  });

  afterAll(async () => {
    for (const c of routers.values()) c.close();
    apiKeysAsAdmin?.close();
    reportScenario('hostile-input', tally);
    await stack?.close();
  });

  let n = 0;
  it.each(corpus.map((c) => [`${c.kind}: ${c.name}`, c] as const))('%s', async (_, badCase: BadRequestCase) => {
    const requestId = `hostile-${++n}`;
    tally.tried++;
    tally[badCase.kind]++;
    if (badCase.kind === 'sdk' || badCase.kind === 'raw') {
      let error: SwitchyardError | undefined;
      if (badCase.kind === 'sdk') {
        try {
          await badCase.call(clients, requestId);
        } catch (e) {
          if (!(e instanceof SwitchyardError)) throw e;
          error = e;
        }
      } else {
        const metadata = { ...(badCase.anonymous ? {} : { authorization: `Bearer ${stack.keys.hostile}` }), ...badCase.metadata };
        const result = await rawUnaryCall(stack.routers[0]!.address, badCase.path, badCase.payload, { metadata, maxSendBytes: badCase.maxSendBytes });
        error = result.error;
      }
      expect(error).toBeDefined();
      expect(error!.codeName).toBe(badCase.expect.code);
      if (badCase.expect.field) expect(error!.details.badRequest?.fieldViolations[0]?.field).toBe(badCase.expect.field);
      if (badCase.expect.message) expect(error!.message).toMatch(badCase.expect.message);
      // The message is never the opaque fallback.
      expect(error!.message).not.toBe('internal error');
    } else if (badCase.kind === 'frame') {
      const result = await rawHttp2Call(stack.routers[0]!.address, badCase.path, badCase.body, { authorization: `Bearer ${stack.keys.hostile}`, ...badCase.headers });
      if (badCase.expect.httpStatus !== undefined) expect(result.httpStatus).toBe(badCase.expect.httpStatus);
      if (badCase.expect.grpcStatus !== undefined) expect(result.grpcStatus).toBe(badCase.expect.grpcStatus);
      if (badCase.expect.message) expect(result.grpcMessage).toMatch(badCase.expect.message);
      if (result.grpcStatus !== 0) expect(result.grpcMessage ?? String(result.httpStatus)).not.toBe('');
    } else {
      const response = await fetch(`${stack.edge!.address}${badCase.path}`, {
        method: 'POST',
        headers: { 'content-type': badCase.contentType ?? 'application/json', authorization: `Bearer ${stack.keys.hostile}`, 'idempotency-key': requestId },
        body: badCase.body,
      });
      const text = await response.text();
      expect(response.status).toBe(badCase.expect.httpStatus);
      const body = (text ? JSON.parse(text) : {}) as { error?: { message?: string; param?: string } };
      if (badCase.expect.param) expect(body.error?.param).toBe(badCase.expect.param);
      if (badCase.expect.message) expect(body.error?.message).toMatch(badCase.expect.message);
    }
  });

  it('afterwards every service is up, a good request is served, and no bad request was billed', async () => {
    expect(stack.processes().filter((p) => p.exited()).map((p) => p.name)).toEqual([]);
    const canary = createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys.canary });
    try {
      const response = await canary.generate({ messages: [chatMessage('user', 'still there?')], context: { requestId: 'canary-1' } });
      expect(response.requestId).toBe('canary-1');
      const edge = await fetch(`${stack.edge!.address}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.keys.canary}` },
        body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'and the edge?' }] }),
      });
      expect(edge.status).toBe(200);
    } finally {
      canary.close();
    }
    await stack.ledger.waitFor('canary', (rows) => rows.length >= 2, 15_000);
    // Give the outbox time to deliver anything a bad request might have produced.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const billed = [...(await stack.ledger.rows('hostile')), ...(await stack.ledger.rows('restricted'))];
    // Only the one frame grpc-js accepts as a normal request was served, and it is billed once.
    expect(billed.map((r) => r.requestId)).toEqual([FRAME_SERVED_REQUEST_ID]);
    reportScenario('hostile-input/after', { badRequests: tally.tried, refused: tally.tried - 1, servedOddities: 1, billedRefused: billed.length - 1, processesDown: 0 });
  });
});
