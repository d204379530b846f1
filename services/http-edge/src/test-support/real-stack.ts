// Test support: the real Switchyard path as processes (`node --import tsx services/<name>/src/main.ts`), the way a
// deployment runs them: billing (PGlite in a temp folder), adapter-openai in front of the fake
// OpenAI upstream of @switchyard/testing, and the router. The edge under test runs in process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createApiKeyStore, waitForServing } from '@switchyard/grpc-kit';
import { startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';

const repoRoot = resolve(__dirname, '../../../..');

/** One started service process. */
export interface StackProcess {
  readonly address: string;
  readonly output: string[];
  stop(): Promise<void>;
}

/** The running stack. */
export interface RealStack {
  readonly routerAddress: string;
  readonly billingAddress: string;
  /** A team key of team `acme` (what an SDK user holds). */
  readonly teamKey: string;
  /** An admin key (sets budgets in billing). */
  readonly adminKey: string;
  readonly upstream: FakeUpstream;
  readonly processes: Record<'billing' | 'adapter' | 'router', StackProcess>;
  close(): Promise<void>;
}

/** The routing policy of the stack: team acme may use two OpenAI models; its baseline is gpt-4o. */
export const STACK_POLICY = `
version: 1
qualityPriors:
  openai/gpt-4o-mini: { default: 0.9 }
  openai/gpt-4.1-nano: { default: 0.8 }
teams:
  acme:
    models: [openai/gpt-4o-mini, openai/gpt-4.1-nano]
    qualityTarget: 0.7
    baselineModel: openai/gpt-4o
`;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * Starts `services/<service>/src/main.ts` and resolves with its address: from its
 * `{"event":"listening"}` line, or, for a service that prints none, `knownAddress` once its gRPC
 * health answers SERVING.
 */
function startServiceProcess(service: string, env: Record<string, string>, knownAddress?: string, startTimeoutMs = 60_000): Promise<StackProcess> {
  const childEnv: Record<string, string | undefined> = { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn', ...env };
  delete childEnv['NODE_OPTIONS']; // jest's flags are not for the child
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', `services/${service}/src/main.ts`], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  };
  return new Promise((resolveStart, rejectStart) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      rejectStart(new Error(`${service}: ${message}\n${output.slice(-40).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${startTimeoutMs} ms`), startTimeoutMs);
    const started = (address: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolveStart({ address, output, stop });
    };
    void exited.then(() => fail(`exited with ${child.exitCode ?? child.signalCode} before listening`));
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (output.length < 2000) output.push(line);
        if (line.includes('"event":"listening"')) started((JSON.parse(line) as { address: string }).address);
      });
    }
    if (knownAddress) waitForServing(knownAddress, startTimeoutMs).then(() => started(knownAddress), (error: unknown) => fail(String(error)));
  });
}

/** Starts fake OpenAI → adapter-openai → router ↔ billing. */
export async function startRealStack(): Promise<RealStack> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-stack-'));
  const keyFile = join(dir, 'api-keys.json');
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, STACK_POLICY);
  const keys = createApiKeyStore({ file: keyFile });
  const teamKey = keys.issue('acme', 'team', 'edge e2e').secret;
  const routerKey = keys.issue('router', 'service', 'router → billing').secret;
  const adminKey = keys.issue('ops', 'admin', 'edge e2e').secret;
  const upstream = await startFakeOpenAI({ apiKey: 'sk-fake-upstream' });
  const started: StackProcess[] = [];
  try {
    const adapterAddress = `127.0.0.1:${await freePort()}`;
    const [billing, adapter] = await Promise.all([
      startServiceProcess('billing', {
        SWITCHYARD_LISTEN: '127.0.0.1:0',
        SWITCHYARD_DATABASE__DATA_DIR: join(dir, 'billing-data'),
        SWITCHYARD_AUTH__API_KEYS_FILE: keyFile,
        SWITCHYARD_BOOTSTRAP_TEAMS: '[{teamId: acme, displayName: Acme, baselineModel: openai/gpt-4o}]',
      }),
      startServiceProcess(
        'adapter-openai',
        { SWITCHYARD_LISTEN: adapterAddress, SWITCHYARD_UPSTREAM__BASE_URL: upstream.baseURL, OPENAI_API_KEY: upstream.apiKey },
        adapterAddress,
      ),
    ]);
    started.push(billing, adapter);
    const routerConfig = join(dir, 'router.yaml');
    writeFileSync(
      routerConfig,
      JSON.stringify({
        listen: '127.0.0.1:0',
        keyFile,
        policyFile,
        adapters: [{ name: 'openai-default', address: adapter.address }],
        billing: { address: billing.address, apiKey: routerKey },
        outbox: { dir: join(dir, 'outbox'), lingerMs: 5 },
      }),
    );
    const router = await startServiceProcess('router', { SWITCHYARD_ROUTER_CONFIG: routerConfig });
    started.push(router);
    return {
      routerAddress: router.address,
      billingAddress: billing.address,
      teamKey,
      adminKey,
      upstream,
      processes: { billing, adapter, router },
      async close() {
        await router.stop(); // first: it flushes its usage outbox to billing
        await Promise.all([adapter.stop(), billing.stop()]);
        await upstream.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((p) => p.stop()));
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
