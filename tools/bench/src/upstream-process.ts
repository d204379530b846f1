/**
 * The benchmark's environment, as its own process so that its CPU never shares the load
 * generator's event loop: a fake OpenAI upstream (instant answers; its time to first token can be
 * changed while it runs) and an OTLP sink that receives the services' traces and only counts them.
 *
 * Prints one JSON line `{"event":"listening","upstream":...,"apiKey":...,"otlp":...}`, then reads
 * JSON commands on stdin, one a line, and answers each on stdout:
 *   {"cmd":"timing","latencyMs":300}  → {"ok":true}
 *   {"cmd":"stats"}                   → {"ok":true,"otlpExports":n,"otlpBytes":n}
 * It exits when stdin closes (the parent went away), so it can never be left behind.
 */
import { createInterface } from 'node:readline';
import { startFakeOpenAI } from '@switchyard/testing';
import { startOtlpReceiver } from '@switchyard/telemetry/testing/otlp-receiver';

async function main(): Promise<void> {
  const fake = await startFakeOpenAI({ apiKey: 'sk-bench-upstream', maxRecordedRequests: 16 });
  const otlp = await startOtlpReceiver({ decode: false });
  const close = async () => {
    await Promise.allSettled([fake.close(), otlp.close()]);
    process.exit(0);
  };
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      let command: { cmd?: string; latencyMs?: number };
      try {
        command = JSON.parse(line) as typeof command;
      } catch {
        return void process.stdout.write(`${JSON.stringify({ ok: false, error: 'not JSON' })}\n`);
      }
      if (command.cmd === 'timing') {
        fake.setTiming({ latencyMs: command.latencyMs ?? 0 });
        process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
      } else if (command.cmd === 'stats') {
        const bytes = otlp.exports.reduce((sum, e) => sum + e.bytes, 0);
        process.stdout.write(`${JSON.stringify({ ok: true, otlpExports: otlp.exports.length, otlpBytes: bytes })}\n`);
      } else {
        process.stdout.write(`${JSON.stringify({ ok: false, error: `unknown command ${String(command.cmd)}` })}\n`);
      }
    })
    .on('close', () => void close());
  process.on('SIGTERM', () => void close());
  process.stdout.write(`${JSON.stringify({ event: 'listening', upstream: fake.baseURL, apiKey: fake.apiKey, otlp: otlp.url })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench upstream failed: ${String(error)}\n`);
  process.exit(1);
});
