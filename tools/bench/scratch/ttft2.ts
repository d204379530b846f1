import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { chatMessage, createProviderClient, createRouterClient } from '@switchyard/sdk';
import { startBenchStack, startBenchUpstream } from '../src/bench-stack';
import { runLoad } from '../src/load-generator';
import { sdkStreamTarget } from '../src/grpc-load';
import { openAIStreamTarget } from '../src/http-load';
async function main() {
  const repoRoot = resolve(__dirname, '../../..');
  const stateDir = mkdtempSync(join(tmpdir(), 'sy-probe-'));
  const up = await startBenchUpstream(repoRoot);
  const stack = await startBenchStack({ repoRoot, stateDir, upstream: up, tracing: process.env.TRACING !== '0' });
  const router = createRouterClient(stack.router, { apiKey: stack.apiKey });
  const adapter = createProviderClient(stack.addresses['adapter-openai'], { apiKey: stack.serviceApiKey });
  const sdk = new OpenAI({ baseURL: up.baseURL, apiKey: up.apiKey, maxRetries: 0 });
  const messages = [chatMessage('user', 'What is the capital of Portugal?')];
  const targets = {
    direct: openAIStreamTarget(sdk, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the capital of Portugal?' }] }),
    adapter: sdkStreamTarget(() => adapter.streamGenerate({ model: 'gpt-4o-mini', messages }), (e) => e.event.case === 'delta'),
    router: sdkStreamTarget(() => router.streamGenerate({ model: 'switchyard/auto', messages }), (e) => e.event.case === 'delta'),
  };
  for (const latency of [0, 300]) {
    await up.setLatency(latency);
    for (let round = 0; round < 2; round++) for (const [name, target] of Object.entries(targets)) {
      const r = await runLoad({ mode: 'closed', concurrency: 1, durationMs: 4000, maxRequests: latency ? 12 : 200, target });
      console.log(`upstream ${latency} ms ${name.padEnd(8)} ttft p50=${r.firstDelta?.p50.toFixed(2)} p90=${r.firstDelta?.p90.toFixed(2)} total p50=${r.latency.p50.toFixed(2)} n=${r.ok} err=${r.errors}`);
    }
  }
  router.close(); adapter.close(); await stack.stop(); await up.close(); rmSync(stateDir, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
