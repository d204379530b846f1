/**
 * `npm start`: the whole platform on loopback, one process per service, on embedded defaults
 * (PGlite, simulated upstreams that speak the real OpenAI/Anthropic wire, a demo team and key).
 * With OPENAI_API_KEY / ANTHROPIC_API_KEY / SWITCHYARD_OPEN_MODEL_BASE_URL set, those upstreams are real.
 * Ctrl-C (or SIGTERM) drains and stops every child; a child that dies is restarted with backoff.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitForServing } from '@switchyard/grpc-kit';
import { runStack, type RunningStack } from './stack';

async function main(): Promise<void> {
  const env = process.env;
  const repoRoot = resolve(__dirname, '../../..');
  const stateDir = resolve(env.SWITCHYARD_STACK_DIR ?? join(repoRoot, '.switchyard'));
  mkdirSync(stateDir, { recursive: true });
  const verbose = env.SWITCHYARD_STACK_VERBOSE === '1';
  const running: { stack?: RunningStack } = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: draining and stopping every service...\n`);
    await running.stack?.stop();
    rmSync(join(stateDir, 'stack.json'), { force: true });
    process.stderr.write('stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const stack = (running.stack = await runStack({
    repoRoot,
    stateDir,
    routerListen: env.SWITCHYARD_STACK_ROUTER ?? '127.0.0.1:50051',
    httpListen: env.SWITCHYARD_STACK_HTTP ?? '127.0.0.1:8080',
    env,
    log: (line) => process.stderr.write(`${line}\n`),
    serviceOutput: verbose ? (name, line) => process.stderr.write(`[${name}] ${line}\n`) : undefined,
  }));
  for (const address of Object.values(stack.grpcAddresses)) await waitForServing(address, 60_000);
  writeFileSync(join(stateDir, 'stack.json'), JSON.stringify(stack.stackFile, null, 2) + '\n', { mode: 0o600 });
  process.stdout.write(stack.banner());
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
