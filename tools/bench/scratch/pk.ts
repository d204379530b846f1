import { resolve } from 'node:path';
import OpenAI from 'openai';
import { startBenchUpstream } from '../src/bench-stack';
import { openAIChatTarget, openAIStreamTarget, runAutocannon } from '../src/http-load';
import { runLoad } from '../src/load-generator';
import { processCpuMs, processMemoryMiB, selfCpuMs } from '../src/process-stats';
import { startPortkeyGateway } from '../src/portkey-gateway';
async function main() {
  const root = resolve(__dirname, '../../..');
  const up = await startBenchUpstream(root);
  const pk = await startPortkeyGateway(root);
  try {
    const sdk = new OpenAI({ baseURL: pk.baseURL, apiKey: up.apiKey, maxRetries: 0, logLevel: 'off', defaultHeaders: pk.routeHeaders(up.baseURL) });
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'What is the capital of Portugal?' }] };
    const t = openAIChatTarget(sdk, body);
    const st = openAIStreamTarget(sdk, body);
    for (const [name, target, c] of [['unary', t, 1], ['unary', t, 8], ['stream', st, 4]] as const) {
      const b = processCpuMs(pk.pid); const s = selfCpuMs();
      const r = await runLoad({ mode: 'closed', concurrency: c, durationMs: 4000, maxRequests: 100000, target });
      console.log(`${name} c=${c} rps=${r.achievedRate.toFixed(0)} p50=${r.latency.p50.toFixed(2)} p99=${r.latency.p99.toFixed(2)} err=${r.errors} ${JSON.stringify(r.sampleErrors)} ttft=${r.firstDelta?.p50} portkey cpu/req=${((processCpuMs(pk.pid) - b) / r.ok).toFixed(2)} client=${((selfCpuMs() - s) / r.ok).toFixed(2)}`);
    }
    const b = processCpuMs(pk.pid);
    const r = await runAutocannon({ url: `${pk.baseURL}/chat/completions`, headers: { authorization: `Bearer ${up.apiKey}`, ...pk.routeHeaders(up.baseURL) }, body, connections: 16, durationMs: 4000, maxRequests: 100000 });
    console.log(`autocannon c=16 rps=${r.achievedRate.toFixed(0)} p50=${r.latency.p50} p99=${r.latency.p99} ${JSON.stringify(r.statuses)} portkey cpu/req=${((processCpuMs(pk.pid) - b) / r.ok).toFixed(2)} rss=${JSON.stringify(processMemoryMiB(pk.pid))}`);
  } finally { await pk.stop(); await up.close(); }
}
main();
