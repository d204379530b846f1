import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chatMessage, createRouterClient } from '@switchyard/sdk';
import { startBenchStack, startBenchUpstream, BENCH_MODEL } from '../src/bench-stack';
import { runLoad } from '../src/load-generator';
import { sdkUnaryTarget } from '../src/grpc-load';
import { cpuSnapshot, cpuPerRequest, selfCpuMs, postgresBackends } from '../src/process-stats';
import { withScratchPostgres, DEFAULT_POSTGRES_ADMIN_URL } from '../src/scratch-postgres';

async function main() { if (process.env.PG) return withScratchPostgres(DEFAULT_POSTGRES_ADMIN_URL, 'probe', (db) => inner(db)); return inner(); }
async function inner(db?: { url: string; name: string }) {
  const repoRoot = resolve(__dirname, '../../..');
  const stateDir = mkdtempSync(join(tmpdir(), 'sy-probe-'));
  const prof = process.env.PROF_DIR;
  const up = await startBenchUpstream(repoRoot);
  const t0 = Date.now();
  const stack = await startBenchStack({ repoRoot, stateDir, upstream: up, billingDatabaseUrl: db?.url, entries: process.env.ROUTER_ENTRY ? { router: process.env.ROUTER_ENTRY } : undefined, tracing: process.env.TRACING !== '0',
    nodeFlags: prof ? { router: ['--cpu-prof', `--cpu-prof-dir=${prof}/router`], billing: ['--cpu-prof', `--cpu-prof-dir=${prof}/billing`], 'adapter-openai': ['--cpu-prof', `--cpu-prof-dir=${prof}/adapter`] } : undefined,
    serviceOutput: process.env.VERBOSE ? (n, l) => console.error(`[${n}] ${l}`) : undefined });
  console.error('stack up in', Date.now() - t0, 'ms');
  const client = createRouterClient(stack.router, { apiKey: stack.apiKey });
  const target = sdkUnaryTarget(() => client.generate({ model: `openai/${BENCH_MODEL}`, messages: [chatMessage('user', 'What is the capital of Portugal?')] }, { timeoutMs: 10000 }));
  let procs = [...stack.processes, { name: 'upstream', pid: up.pid }];
  for (const [mode, c, n] of [['closed', 4, 300], ['closed', 1, Number(process.env.N1 ?? 500)], ['closed', 8, Number(process.env.N8 ?? 1500)]] as const) {
    if (db) procs = [...stack.processes, { name: 'upstream', pid: up.pid }, ...postgresBackends(db.name).map((pid, i) => ({ name: `pg${i}`, pid }))];
    const b = cpuSnapshot(procs); const s = selfCpuMs();
    const w0 = Number(process.hrtime.bigint() / 1000n);
    const r = await runLoad({ mode, concurrency: c, durationMs: 30000, maxRequests: n, target });
    const cpu = cpuPerRequest(b, cpuSnapshot(procs), r.ok);
    console.log(`window c=${c} ${w0},${Number(process.hrtime.bigint() / 1000n)} n=${r.ok}`);
    console.log(`c=${c} ok=${r.ok} err=${r.errors} rps=${r.achievedRate.toFixed(0)} p50=${r.latency.p50.toFixed(2)} p90=${r.latency.p90.toFixed(2)} p99=${r.latency.p99.toFixed(2)} ${JSON.stringify(r.sampleErrors)} cpu/req ${Object.entries(cpu).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(' ')} client=${((selfCpuMs() - s) / r.ok).toFixed(2)}`);
  }
  console.log('otlp', JSON.stringify(await up.otlpStats()));
  client.close();
  await stack.stop();
  await up.close();
  rmSync(stateDir, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
