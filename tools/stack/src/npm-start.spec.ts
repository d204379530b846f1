import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chatMessage, createBillingClient, createRouterClient, billing } from '@switchyard/sdk';

const repoRoot = resolve(__dirname, '../../..');

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

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The README's main command, end to end: `npm start` as a child process, real traffic, clean stop. */
describe('npm start', () => {
  let stack: ChildProcess;
  let stateDir: string;
  let output = '';

  beforeAll(async () => {
    stateDir = mkdtempSync(join(repoRoot, 'tmp-stack-'));
    const routerPort = await freePort();
    stack = spawn('npm', ['start'], {
      cwd: repoRoot,
      env: { ...process.env, SWITCHYARD_STACK_DIR: stateDir, SWITCHYARD_STACK_ROUTER: `127.0.0.1:${routerPort}`, SWITCHYARD_STACK_HTTP: '127.0.0.1:0', OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so cleanup can reach the launcher behind npm
    });
    stack.stdout!.on('data', (chunk) => (output += chunk));
    stack.stderr!.on('data', (chunk) => (output += chunk));
  });

  afterAll(() => {
    if (stack.exitCode === null) process.kill(-stack.pid!, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts every service, routes, bills, serves the demo, and stops with no orphans', async () => {
    const stackFile = join(stateDir, 'stack.json');
    const stackInfo = await waitFor(() => (existsSync(stackFile) ? JSON.parse(readFileSync(stackFile, 'utf8')) : undefined), 150_000, `stack.json (output so far:\n${output})`);
    expect(output).toContain('Switchyard is running.');
    expect(output).toMatch(/openai \(strong closed\)\s+SIMULATED/);
    expect(Object.keys(stackInfo.processes)).toEqual(expect.arrayContaining(['router', 'billing', 'evaluator', 'http-edge', 'adapter-openai', 'adapter-anthropic']));

    const router = createRouterClient(stackInfo.router, { apiKey: stackInfo.demoApiKey });
    const easy = await router.generate({ messages: [chatMessage('user', 'What is the capital of Portugal?')] }, { timeoutMs: 30_000 });
    const hard = await router.generate(
      { messages: [chatMessage('user', 'Prove that there are infinitely many primes of the form 4k+3, step by step, and check each inference.')] },
      { timeoutMs: 30_000 },
    );
    for (const reply of [easy, hard]) {
      expect(reply.usage?.outputTokens).toBeGreaterThan(0n);
      expect(reply.route?.chosen?.model).toBeTruthy();
      expect(reply.route?.rule).toBeTruthy();
    }
    router.close();

    const demo = spawnSync(join(repoRoot, 'node_modules/.bin/switchyard'), ['demo', '--requests', '200', '--router', stackInfo.router, '--api-key', stackInfo.demoApiKey], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(demo.stderr).not.toMatch(/error/i);
    expect(demo.status).toBe(0);
    expect(demo.stdout).toContain('200/200 succeeded');
    expect(demo.stdout).toMatch(/saved \$/);

    // Billing sees what was served: the usage outbox delivers within a few seconds.
    const billingClient = createBillingClient(stackInfo.billing, { apiKey: stackInfo.adminApiKey });
    const expected = 202n;
    let requests = 0n;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const spend = await billingClient.querySpend({ teamId: 'demo', groupBy: [billing.SpendDimension.TEAM] });
      requests = spend.rows[0]?.requestCount ?? 0n;
      if (requests >= expected) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(requests).toBe(expected);
    billingClient.close();

    const exited = new Promise<number | null>((done) => stack.once('exit', (code) => done(code)));
    stack.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => (Object.values(stackInfo.processes as Record<string, number>).every((pid) => !alive(pid)) ? true : undefined), 15_000, 'every child to exit');
    expect(existsSync(stackFile)).toBe(false);
  }, 300_000);
});
