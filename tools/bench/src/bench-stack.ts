/**
 * The processes a benchmark measures, started the way `npm start` starts them but with only what
 * the request path needs: the fake upstream and OTLP sink (upstream-process.ts), billing (PGlite in
 * a temporary folder), adapter-openai in front of the fake, and the router, each its own Node
 * process running from source (`node --require tsx/cjs`), with tracing on and exported to the sink.
 * Reuses the stack launcher's supervisor, key issuing and config writing (tools/stack).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { billing } from '@switchyard/contracts';
import { waitForServing } from '@switchyard/grpc-kit';
import { createBillingClient } from '@switchyard/sdk';
import { billingPlan, ensureStackKeys, startServiceProcess, toYaml, type ServiceProcess } from '@switchyard/stack';
import { trackChildProcess, untrackChildProcess } from './child-cleanup';
import type { WatchedProcess } from './process-stats';

/** The model every benchmark request asks for (pinned, so routing is deterministic). */
export const BENCH_MODEL = 'gpt-4o-mini';
/** The team the benchmark's key belongs to (the stack's demo team). */
export const BENCH_TEAM = 'demo';

/** The fake upstream and OTLP sink process. */
export interface BenchUpstream {
  /** `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  apiKey: string;
  /** OTLP/HTTP endpoint of the sink. */
  otlpEndpoint: string;
  pid: number | undefined;
  /** Sets the fake's delay before the first byte of every answer (time to first token), ms. */
  setLatency(ms: number): Promise<void>;
  /** What the OTLP sink has received. */
  otlpStats(): Promise<{ otlpExports: number; otlpBytes: number }>;
  close(): Promise<void>;
}

/** The command that runs a TypeScript entry point as a service does, with optional Node flags. */
export function nodeCommand(repoRoot: string, entry: string, options: { preload?: string[]; nodeFlags?: string[] } = {}): string[] {
  return [process.execPath, ...(options.nodeFlags ?? []), '--require', 'tsx/cjs', ...(options.preload ?? []).flatMap((p) => ['--require', join(repoRoot, p)]), join(repoRoot, entry)];
}

/** An environment for children: the parent's, without Switchyard settings, provider keys or NODE_OPTIONS. */
export function childEnvironment(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SWITCHYARD_') && !key.startsWith('OTEL_') && !['NODE_OPTIONS', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'DATABASE_URL'].includes(key)),
  );
  return { ...inherited, ...extra };
}

/** Starts upstream-process.ts and waits for its listening line (60 s at most). */
export async function startBenchUpstream(repoRoot: string): Promise<BenchUpstream> {
  const [executable, ...args] = nodeCommand(repoRoot, 'tools/bench/src/upstream-process.ts');
  const child: ChildProcess = spawn(executable!, args, { cwd: repoRoot, env: childEnvironment() as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'inherit'] });
  trackChildProcess(child.pid);
  const lines: Interface = createInterface({ input: child.stdout! });
  const replies: Array<(line: string) => void> = [];
  const ready = new Promise<{ upstream: string; apiKey: string; otlp: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench upstream did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the bench upstream exited with ${code} before it was ready`)));
    lines.on('line', (line) => {
      const parsed = JSON.parse(line) as { event?: string; upstream: string; apiKey: string; otlp: string };
      if (parsed.event === 'listening') {
        clearTimeout(timer);
        resolve(parsed);
      } else replies.shift()?.(line);
    });
  });
  const info = await ready.catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const ask = (command: object) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bench upstream did not answer within 5 s')), 5000);
      replies.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.stdin!.write(`${JSON.stringify(command)}\n`);
    });
  return {
    baseURL: info.upstream,
    apiKey: info.apiKey,
    otlpEndpoint: info.otlp,
    pid: child.pid,
    setLatency: async (ms) => void (await ask({ cmd: 'timing', latencyMs: ms })),
    otlpStats: async () => JSON.parse(await ask({ cmd: 'stats' })) as { otlpExports: number; otlpBytes: number },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          untrackChildProcess(child.pid);
          resolve();
        });
        child.stdin!.end();
      }),
  };
}

/** Options for startBenchStack. */
export interface BenchStackOptions {
  repoRoot: string;
  /** A scratch folder (keys, config, PGlite data, outbox); the caller deletes it. */
  stateDir: string;
  upstream: Pick<BenchUpstream, 'baseURL' | 'apiKey' | 'otlpEndpoint'>;
  /** Export traces to the upstream process's OTLP sink (default true); false disables the SDK. */
  tracing?: boolean;
  /** Extra Node flags per service, e.g. `{ router: ['--cpu-prof', '--cpu-prof-dir=/tmp/p'] }`. */
  nodeFlags?: Partial<Record<'billing' | 'adapter-openai' | 'router', string[]>>;
  /**
   * Entry points to run instead of the services' own `src/main.ts` (repo-relative), e.g. a patched
   * copy of the router to measure a proposed change before it is made.
   */
  entries?: Partial<Record<'billing' | 'adapter-openai' | 'router', string>>;
  /** billing's PostgreSQL (a scratch database); default embedded PGlite in `stateDir`. */
  billingDatabaseUrl?: string;
  /** The team's monthly budget, USD (so every request's hold is checked against a real budget). */
  budgetUsd?: number;
  /** Every line the services print. */
  serviceOutput?: (name: string, line: string) => void;
}

/** The running request path. */
export interface BenchStack {
  /** The router's `host:port`. */
  router: string;
  /** An API key of the bench team. */
  apiKey: string;
  /** The service processes, for CPU and memory readings. */
  processes: WatchedProcess[];
  /** Each service's gRPC address (to measure one hop on its own). */
  addresses: Record<'billing' | 'adapter-openai' | 'router', string>;
  /** The router's service key, which billing and the adapter accept. */
  serviceApiKey: string;
  stop(): Promise<void>;
}

/** Starts billing and the adapter, then the router, and gives the bench team a budget. */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const { repoRoot, stateDir, upstream } = options;
  const configDir = join(stateDir, 'config');
  mkdirSync(configDir, { recursive: true });
  const keyFile = join(stateDir, 'api-keys.json');
  const keys = ensureStackKeys(keyFile, join(stateDir, 'secrets.json'));
  const tracing = options.tracing ?? true;
  const telemetryEnv: Record<string, string> = tracing
    ? { OTEL_EXPORTER_OTLP_ENDPOINT: upstream.otlpEndpoint, OTEL_TRACES_EXPORTER: 'otlp', OTEL_LOG_LEVEL: 'error' }
    : { OTEL_SDK_DISABLED: 'true' };
  const children: ServiceProcess[] = [];
  // childEnvironment drops DATABASE_URL from the parent: billing gets one only when asked for.

  const start = async (name: 'billing' | 'adapter-openai' | 'router', entry: string, config: Record<string, unknown>, env: Record<string, string> = {}) => {
    const configFile = join(configDir, `${name}.yaml`);
    writeFileSync(configFile, toYaml(config), { mode: 0o600 });
    const child = await startServiceProcess({
      name,
      command: nodeCommand(repoRoot, options.entries?.[name] ?? entry, { nodeFlags: options.nodeFlags?.[name], preload: tracing ? ['libs/telemetry/src/register.ts'] : [] }),
      cwd: repoRoot,
      env: childEnvironment({ ...telemetryEnv, OTEL_SERVICE_NAME: `bench-${name}`, SWITCHYARD_CONFIG_FILE: configFile, SWITCHYARD_ROUTER_CONFIG: configFile, ...env }),
      onOutput: options.serviceOutput,
      // A benchmark must not silently measure a restarted process: no restarts within the run.
      restartBackoffMs: { initial: 3_600_000, max: 3_600_000 },
    });
    children.push(child);
    trackChildProcess(child.pid);
    return child;
  };
  const stop = async () => {
    for (const name of ['router', 'adapter-openai', 'billing']) {
      await Promise.all(children.filter((c) => c.name === name).map(async (c) => {
        await c.stop(15_000);
        untrackChildProcess(c.pid);
      }));
    }
  };

  try {
    const layout = { repoRoot, stateDir, routerListen: '127.0.0.1:0', httpListen: '127.0.0.1:0' };
    const billingConfig = billingPlan(layout).config;
    const [billingProcess, adapter] = await Promise.all([
      start('billing', 'services/billing/src/main.ts', { ...billingConfig, auth: { apiKeysFile: keyFile } }, options.billingDatabaseUrl ? { DATABASE_URL: options.billingDatabaseUrl } : {}),
      start(
        'adapter-openai',
        'services/adapter-openai/src/main.ts',
        { listen: '127.0.0.1:0', upstream: { baseUrl: upstream.baseURL, apiKeyEnv: 'OPENAI_API_KEY' }, models: [{ id: BENCH_MODEL }], auth: { apiKeysFile: keyFile } },
        { OPENAI_API_KEY: upstream.apiKey },
      ),
    ]);
    const policyFile = join(configDir, 'policy.yaml');
    writeFileSync(
      policyFile,
      toYaml({
        version: 1,
        qualityPriors: { [`openai/${BENCH_MODEL}`]: { default: 0.9 } },
        teams: {
          [BENCH_TEAM]: { models: [`openai/${BENCH_MODEL}`], qualityTarget: 0.8, baselineModel: 'openai/gpt-4.1', allowPinning: true, aliases: { 'switchyard/auto': {} } },
        },
      }),
    );
    const routerProcess = await start('router', 'services/router/src/main.ts', {
      listen: '127.0.0.1:0',
      keyFile,
      policyFile,
      adapters: [{ name: 'adapter-openai', address: adapter.address, apiKey: keys.router }],
      billing: { address: billingProcess!.address, apiKey: keys.router },
      outbox: { dir: join(stateDir, 'router-outbox') },
    });
    for (const child of children) await waitForServing(child.address, 60_000);
    if (options.budgetUsd !== 0) {
      const admin = createBillingClient(billingProcess!.address, { apiKey: keys.admin, timeoutMs: 10_000 });
      try {
        await admin.setBudget({ teamId: BENCH_TEAM, period: billing.BudgetPeriod.MONTH, limitNanosUsd: BigInt(options.budgetUsd ?? 1_000_000) * 1_000_000_000n });
      } finally {
        admin.close();
      }
    }
    return {
      router: routerProcess.address,
      apiKey: keys.demo,
      processes: children.map((c) => ({ name: c.name, pid: c.pid })),
      addresses: { billing: billingProcess!.address, 'adapter-openai': adapter!.address, router: routerProcess.address },
      serviceApiKey: keys.router,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
