import type { Command } from 'commander';
import { runDemo } from '../demo-workload';
import { formatTable, formatUsd, toJson } from '../output';
import { createProgressBar } from '../progress-bar';
import { CliError, resolveConnection } from '../stack-discovery';

/** `demo --requests N`: a realistic mixed workload through the router, then the routing mix, latency, cost and savings. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('send a realistic mixed workload through the router and summarize routing, latency, cost and savings')
    .option('--requests <n>', 'how many requests', '200')
    .option('--concurrency <n>', 'requests in flight', '8')
    .option('--router <address>', 'router address HOST:PORT')
    .option('--api-key <key>', 'API key')
    .option('--json', 'print JSON')
    .action(async (flags: { requests: string; concurrency: string; router?: string; apiKey?: string; json?: boolean }) => {
      const requests = Number(flags.requests);
      const concurrency = Number(flags.concurrency);
      if (!Number.isInteger(requests) || requests < 1 || requests > 100_000) throw new CliError(`--requests must be a whole number from 1 to 100000, got "${flags.requests}"`);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new CliError(`--concurrency must be from 1 to 256, got "${flags.concurrency}"`);
      const connection = resolveConnection('router', { address: flags.router, apiKey: flags.apiKey });
      const bar = createProgressBar('demo');
      const summary = await runDemo({ router: connection.address, apiKey: connection.apiKey, requests, concurrency, onProgress: bar.update });
      if (flags.json) return console.log(toJson(summary));
      console.log(`\n${summary.succeeded}/${summary.requests} succeeded${Object.keys(summary.failed).length ? `, failed: ${JSON.stringify(summary.failed)}` : ''}`);
      console.log(`latency p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms\n`);
      console.log(formatTable(['model', 'requests', 'share'], Object.entries(summary.routingMix).map(([model, n]) => [model, n, `${((100 * n) / Math.max(1, summary.succeeded)).toFixed(1)}%`])));
      console.log(`\nrules: ${Object.entries(summary.rules).map(([rule, n]) => `${rule} ${n}`).join(', ')}`);
      console.log(`total cost ${formatUsd(summary.costNanosUsd)}; everything on the baseline model would cost ${formatUsd(summary.baselineNanosUsd)}; saved ${formatUsd(summary.savedNanosUsd)}`);
      if (summary.succeeded < summary.requests) process.exitCode = 1;
    });
}
