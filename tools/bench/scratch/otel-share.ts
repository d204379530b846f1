import { summariseProfileFile } from '../src/cpu-profile-summary';
const [file, win, n] = process.argv.slice(2);
const [a, b] = win!.split(',').map(Number);
const s = summariseProfileFile(file!, { top: 500, window: { startMicros: a!, endMicros: b! } });
const per = (ms: number) => ((ms * 1000) / Number(n)).toFixed(0);
const groups: Record<string, number> = {};
for (const r of s.byModule) {
  const g = /opentelemetry/.test(r.name) ? 'opentelemetry (npm)' : r.name === 'libs/telemetry' ? 'libs/telemetry' : r.name === 'node:async_hooks' ? 'node:async_hooks (context propagation)' : r.name;
  groups[g] = (groups[g] ?? 0) + r.ms;
}
console.log(file, 'busy µs/req', per(s.busyMs));
for (const [g, ms] of Object.entries(groups).sort((x, y) => y[1] - x[1]).slice(0, 18)) console.log(`  ${per(ms).padStart(6)} µs/req  ${g}`);
const otel = s.byModule.filter((r) => /opentelemetry/.test(r.name));
for (const r of otel) console.log(`      ${per(r.ms).padStart(6)} µs/req  ${r.name}`);
