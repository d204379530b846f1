import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitForServing } from '@switchyard/grpc-kit';
import { chatMessage, createRouterClient } from '@switchyard/sdk';
import { runStack } from '../../stack/src/stack';

const freePort = () => new Promise<number>((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as any).port; s.close(() => res(p)); }); });

async function main() {
  const repoRoot = resolve(__dirname, '../../..');
  const stateDir = mkdtempSync(join(tmpdir(), 'sy-probe-'));
  const t0 = Date.now();
  const stack = await runStack({ repoRoot, stateDir, routerListen: `127.0.0.1:${await freePort()}`, httpListen: `127.0.0.1:${await freePort()}`, env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn' }, log: (l) => console.error(l) });
  for (const a of Object.values(stack.grpcAddresses)) await waitForServing(a, 60_000);
  console.error('stack up in', Date.now() - t0, 'ms');
  const f = stack.stackFile as any;
  const client = createRouterClient(f.router, { apiKey: f.demoApiKey });
  const run = async (n: number, conc: number, model?: string) => {
    const lat: number[] = []; let i = 0; let err = 0; const st = performance.now();
    await Promise.all(Array.from({ length: conc }, async () => { while (i < n) { i++; const t = performance.now(); try { await client.generate({ model, messages: [chatMessage('user', 'What is the capital of Portugal?')] }, { timeoutMs: 30000 }); } catch (e) { if (err++ < 3) console.error(String(e)); } lat.push(performance.now() - t); } }));
    lat.sort((a, b) => a - b);
    console.log(`n=${n} c=${conc} model=${model} rps=${(n / ((performance.now() - st) / 1000)).toFixed(0)} p50=${lat[Math.floor(lat.length * 0.5)]!.toFixed(2)} p99=${lat[Math.floor(lat.length * 0.99)]!.toFixed(2)} err=${err}`);
  };
  const { readFileSync, readdirSync } = await import('node:fs');
  const cpu = (pid: number) => { try { const st = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) * 10; } catch { return 0; } };
  const kids = (pid: number) => readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => { try { const st = readFileSync(`/proc/${e}/stat`, 'utf8'); return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid; } catch { return false; } }).map(Number);
  const procs: Record<string, number[]> = {}; console.log(JSON.stringify(f.processes));
  for (const [name, pid] of Object.entries(f.processes as Record<string, number>)) procs[name] = [pid, ...kids(pid)];
  const snap = () => Object.fromEntries(Object.entries(procs).map(([n, ps]) => [n, ps.reduce((a, p) => a + cpu(p), 0)]));
  const self0 = process.cpuUsage();
  await run(100, 4);
  let before = snap();
  await run(600, 8);
  let after = snap();
  console.log('cpu ms per request', JSON.stringify(Object.fromEntries(Object.keys(before).map((k) => [k, ((after[k]! - before[k]!) / 600).toFixed(2)]))));
  const su = process.cpuUsage(self0); console.log('client cpu ms/req', ((su.user + su.system) / 1000 / 700).toFixed(2));

  await run(300, 1);
  await run(600, 8);
  await run(300, 1, 'openai/gpt-4.1-mini');
  await run(600, 8, 'openai/gpt-4.1-mini');
  client.close();
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
