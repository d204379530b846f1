// Shared by the evaluator benchmarks: a fake-upstream ProviderService, the evaluator as a real process,
// and writing a section of docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { status as Status } from '@grpc/grpc-js';
import { common, provider } from '@switchyard/contracts';
import { createLogger, ServiceFailure, startGrpcServer, unavailable, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { chatMessage, createEvaluatorClient, messageText, type EvaluatorServiceClient, type ProviderServiceImplementation } from '@switchyard/sdk';

/** The repository root. */
export const repoRoot = resolve(__dirname, '../../..');
/** The routing data, `../shared/data/routing` from the repository root. */
export const routingDataDir = resolve(repoRoot, '../shared/data/routing');

const ROLE_NAMES: Record<number, string> = { [common.Role.SYSTEM]: 'system', [common.Role.USER]: 'user', [common.Role.ASSISTANT]: 'assistant', [common.Role.TOOL]: 'tool' };

/**
 * A ProviderService that forwards Generate to a fake OpenAI upstream with plain fetch: the
 * benchmarks measure the evaluator, not an adapter.
 */
export function startForwardingProvider(target: { baseURL: string; apiKey: string }): Promise<RunningGrpcServer> {
  const implementation: ProviderServiceImplementation = {
    async generate(request, context) {
      const response = await fetch(`${target.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey}` },
        body: JSON.stringify({
          model: request.model,
          messages: request.messages.map((m) => ({ role: ROLE_NAMES[m.role] ?? 'user', content: messageText(m) })),
          ...(request.params?.maxOutputTokens !== undefined ? { max_tokens: request.params.maxOutputTokens } : {}),
        }),
        signal: context.signal,
      });
      if (response.status >= 500 || response.status === 429) throw unavailable(`upstream answered ${response.status}`);
      if (!response.ok) throw new ServiceFailure(Status.INVALID_ARGUMENT, `upstream answered ${response.status}`);
      const body = (await response.json()) as { model: string; choices: Array<{ message: { content: string | null } }>; usage?: { prompt_tokens: number; completion_tokens: number } };
      return {
        message: chatMessage('assistant', body.choices[0]?.message.content ?? ''),
        finishReason: common.FinishReason.STOP,
        usage: { inputTokens: BigInt(body.usage?.prompt_tokens ?? 0), outputTokens: BigInt(body.usage?.completion_tokens ?? 0) },
        responseModel: body.model,
      };
    },
    // eslint-disable-next-line require-yield
    async *streamGenerate() {
      throw new ServiceFailure(Status.UNIMPLEMENTED, 'not streamed here');
    },
    listModels: () => ({ models: [] }),
  };
  return startGrpcServer({
    name: 'bench-provider',
    address: '127.0.0.1:0',
    errorDomain: 'provider.switchyard.dev',
    services: [{ service: provider.ProviderService, implementation }],
    logger: createLogger({ service: 'bench-provider', level: 'silent' }),
    drainGraceMs: 100,
  });
}

/**
 * An evaluator client whose WatchRun and ValidateModel calls are bounded only by their own deadline
 * (the shipped service config caps every EvaluatorService call at 10 s).
 */
export function createLongCallEvaluatorClient(address: string): EvaluatorServiceClient {
  const evaluatorService = 'switchyard.evaluator.v1.EvaluatorService';
  const config = {
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: [
      {
        name: [{ service: evaluatorService }],
        timeout: '10s',
        retryPolicy: { maxAttempts: 3, initialBackoff: '0.05s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] },
      },
      // More specific than the service entry, so these two have no config timeout: only the call's deadline.
      { name: [{ service: evaluatorService, method: 'WatchRun' }, { service: evaluatorService, method: 'ValidateModel' }] },
    ],
  };
  return createEvaluatorClient(address, { channelOptions: { 'grpc.service_config': JSON.stringify(config) } });
}

/** The evaluator running as its own process. */
export interface EvaluatorProcess {
  address: string;
  stop(): Promise<void>;
}

/**
 * Starts `tsx services/evaluator/src/main.ts` on a fresh PGlite folder with the given `SWITCHYARD_*`
 * settings, and resolves once it prints its listening line.
 */
export function startEvaluatorProcess(settings: Record<string, string>): Promise<EvaluatorProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-evaluator-'));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SWITCHYARD_') && key !== 'DATABASE_URL'));
  const child = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['services/evaluator/src/main.ts'], {
    cwd: repoRoot,
    env: { ...inherited, SWITCHYARD_LISTEN: '127.0.0.1:0', SWITCHYARD_DATABASE__DATA_DIR: dataDir, SWITCHYARD_LOG_LEVEL: 'warn', ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: tsx runs node as a child, and stopping must reach both.
    detached: true,
  });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`the evaluator did not start within 60 s: ${stderr}`));
    }, 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('"listening"')) return;
      clearTimeout(timer);
      resolvePromise({
        address: (JSON.parse(line) as { address: string }).address,
        async stop() {
          signal('SIGTERM');
          const force = setTimeout(() => signal('SIGKILL'), 15_000);
          await exited;
          clearTimeout(force);
          rmSync(dataDir, { recursive: true, force: true });
        },
      });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the evaluator exited before listening: ${stderr}`));
    });
  });
}

/** The q-quantile of sorted numbers. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
