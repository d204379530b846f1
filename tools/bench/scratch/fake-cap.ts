import { resolve } from 'node:path';
import { startBenchUpstream } from '../src/bench-stack';
import { runAutocannon } from '../src/http-load';
import { processCpuMs } from '../src/process-stats';
async function main() {
  const up = await startBenchUpstream(resolve(__dirname, '../../..'));
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the capital of Portugal?' }] };
  for (const c of [1, 8, 32]) {
    const before = processCpuMs(up.pid);
    const r = await runAutocannon({ url: `${up.baseURL}/chat/completions`, headers: { authorization: `Bearer ${up.apiKey}` }, body, connections: c, durationMs: 5000, maxRequests: 100000 });
    console.log(`c=${c} rps=${r.achievedRate.toFixed(0)} p50=${r.latency.p50} p99=${r.latency.p99} errors=${r.errors} ${JSON.stringify(r.statuses)} upstream cpu/req=${((processCpuMs(up.pid) - before) / r.ok).toFixed(3)}`);
  }
  await up.close();
}
main();
