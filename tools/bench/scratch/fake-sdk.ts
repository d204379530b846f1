import { resolve } from 'node:path';
import OpenAI from 'openai';
import { startBenchUpstream } from '../src/bench-stack';
import { openAIChatTarget } from '../src/http-load';
import { runLoad } from '../src/load-generator';
import { processCpuMs, selfCpuMs } from '../src/process-stats';
async function main() {
  const up = await startBenchUpstream(resolve(__dirname, '../../..'));
  const sdk = new OpenAI({ baseURL: up.baseURL, apiKey: up.apiKey, maxRetries: 0, logLevel: 'off' });
  const target = openAIChatTarget(sdk, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the capital of Portugal?' }] });
  for (const [mode, c, rate] of [['closed', 1, 0], ['closed', 8, 0], ['open', 0, 500], ['open', 0, 1000]] as const) {
    const before = processCpuMs(up.pid); const s = selfCpuMs();
    const r = await runLoad({ mode, concurrency: c || undefined, rate: rate || undefined, durationMs: 4000, maxRequests: 100000, target });
    console.log(`${mode} c=${c} rate=${rate} rps=${r.achievedRate.toFixed(0)} p50=${r.latency.p50.toFixed(2)} p99=${r.latency.p99.toFixed(2)} err=${r.errors} lag99=${r.scheduleLagP99Ms?.toFixed(2)} upstream cpu/req=${((processCpuMs(up.pid) - before) / r.ok).toFixed(3)} client cpu/req=${((selfCpuMs() - s) / r.ok).toFixed(3)}`);
  }
  await up.close();
}
main();
