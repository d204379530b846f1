import { chatMessage, createRouterClient } from '@switchyard/sdk';
import { startReliabilityStack, type ReliabilityStack } from './harness/reliability-stack';

let stack: ReliabilityStack;
const t0 = Date.now();
beforeAll(async () => {
  stack = await startReliabilityStack({ label: 'smoke', edge: true });
  console.log('stack up in', Date.now() - t0);
});
afterAll(async () => { const t = Date.now(); await stack?.close(); console.log('closed in', Date.now() - t); });
it('serves', async () => {
  const client = createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys.acme });
  const res = await client.generate({ messages: [chatMessage('user', 'hello there')], context: { requestId: 'smoke-1' } }, { timeoutMs: 10000 });
  console.log(res.message?.parts[0], res.route?.chosen, res.cost);
  const t = Date.now();
  let ok = 0;
  await Promise.all(Array.from({ length: 20 }, async (_, w) => { for (let i = 0; i < 10; i++) { await client.generate({ messages: [chatMessage('user', 'hello there')], context: { requestId: `smoke-${w}-${i}` } }, { timeoutMs: 10000 }); ok++; } }));
  console.log('200 requests in', Date.now() - t, ok);
  const rows = await stack.ledger.waitFor('acme', (r) => r.length >= 201, 10000);
  console.log('ledger rows', rows.length);
  client.close();
});
