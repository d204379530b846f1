import { resolve } from 'node:path';
import OpenAI from 'openai';
import { createUpstreamFetch } from '@switchyard/provider-kit';
import { startBenchUpstream } from '../src/bench-stack';
import { openAIStreamTarget } from '../src/http-load';
import { runLoad } from '../src/load-generator';
async function main() {
  const up = await startBenchUpstream(resolve(__dirname, '../../..'));
  await up.setLatency(300);
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'What is the capital of Portugal?' }] };
  for (const [name, sdk] of [['default fetch', new OpenAI({ baseURL: up.baseURL, apiKey: up.apiKey, maxRetries: 0 })], ['upstream fetch', new OpenAI({ baseURL: up.baseURL, apiKey: up.apiKey, maxRetries: 0, fetch: createUpstreamFetch().fetch })]] as const) {
    const r = await runLoad({ mode: 'closed', concurrency: 2, durationMs: 3000, maxRequests: 20, target: openAIStreamTarget(sdk, body) });
    console.log(name, 'ttft', r.firstDelta, 'total p50', r.latency.p50);
  }
  await up.close();
}
main();
