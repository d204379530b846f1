import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chatMessage, createRouterClient } from '@switchyard/sdk';
import { startBenchStack, startBenchUpstream } from '../src/bench-stack';
import { runLoad } from '../src/load-generator';
import { sdkUnaryTarget } from '../src/grpc-load';
import { withScratchPostgres, DEFAULT_POSTGRES_ADMIN_URL } from '../src/scratch-postgres';
async function main() { return withScratchPostgres(DEFAULT_POSTGRES_ADMIN_URL, 'probe', (db) => inner(db)); }
async function inner(db: { url: string; name: string }) {
  const repoRoot = resolve(__dirname, '../../..');
  const stateDir = mkdtempSync(join(tmpdir(), 'sy-probe-'));
  const up = await startBenchUpstream(repoRoot);
  const stack = await startBenchStack({ repoRoot, stateDir, upstream: up, billingDatabaseUrl: db.url, tracing: process.env.TRACING !== '0', entries: process.env.ROUTER_ENTRY ? { router: process.env.ROUTER_ENTRY } : undefined });
  const client = createRouterClient(stack.router, { apiKey: stack.apiKey });
  const target = sdkUnaryTarget(() => client.generate({ model: 'switchyard/auto', messages: [chatMessage('user', 'What is the capital of Portugal?')] }, { timeoutMs: 10000 }));
  await runLoad({ mode: 'closed', concurrency: 4, durationMs: 3000, maxRequests: 500, target });
  for (const rate of (process.env.RATES ?? '20,40').split(',').map(Number)) {
    const r = await runLoad({ mode: 'open', rate, durationMs: Number(process.env.SECS ?? 12) * 1000, maxRequests: 100000, target });
    const l = r.latency;
    console.log(`${process.env.LABEL ?? ''} rate=${rate} ok=${r.ok} err=${r.errors} p50=${l.p50.toFixed(2)} p90=${l.p90.toFixed(2)} p99=${l.p99.toFixed(2)} p999=${l.p999.toFixed(2)} max=${l.max.toFixed(1)} (load ${require('node:os').loadavg()[0].toFixed(1)})`);
  }
  client.close(); await stack.stop(); await up.close(); rmSync(stateDir, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
