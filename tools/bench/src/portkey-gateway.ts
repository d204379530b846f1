/**
 * Portkey's open-source AI gateway 1.15.2 (`@portkey-ai/gateway`, a devDependency) as a peer to
 * benchmark against, started the way its README does (`start-server.js --port=N --headless`) with
 * the Node 20 streaming fix preloaded (portkey-preload.cjs). It listens on every interface (it has
 * no host flag), so it runs only for the length of a benchmark on a loopback-only machine and is
 * always killed afterwards. Requests are routed to an upstream with `x-portkey-provider` and
 * `x-portkey-custom-host` headers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { trackChildProcess, untrackChildProcess } from './child-cleanup';

/** A running Portkey gateway. */
export interface PortkeyGateway {
  /** `http://127.0.0.1:PORT/v1`: the OpenAI SDK's baseURL. */
  baseURL: string;
  pid: number | undefined;
  /** Headers that send a request to an OpenAI-compatible upstream at `upstreamBaseURL`. */
  routeHeaders(upstreamBaseURL: string): Record<string, string>;
  stop(): Promise<void>;
}

/** A free loopback port (Portkey needs one named up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the gateway and waits (at most `startTimeoutMs`, default 30 s) until it answers HTTP. */
export async function startPortkeyGateway(repoRoot: string, options: { startTimeoutMs?: number; env?: Record<string, string | undefined> } = {}): Promise<PortkeyGateway> {
  const port = await freePort();
  const entry = join(repoRoot, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  const child: ChildProcess = spawn(process.execPath, ['-r', join(__dirname, 'portkey-preload.cjs'), entry, `--port=${port}`, '--headless'], {
    cwd: repoRoot,
    env: { ...(options.env ?? process.env), NODE_OPTIONS: '' } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackChildProcess(child.pid);
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 50) stderr.push(chunk.toString());
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      untrackChildProcess(child.pid);
      resolve();
    }),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(kill);
    }
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  const baseURL = `http://127.0.0.1:${port}/v1`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Portkey exited with code ${child.exitCode} before it answered: ${stderr.join('').slice(0, 500)}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Portkey did not answer within ${options.startTimeoutMs ?? 30_000} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    baseURL,
    pid: child.pid,
    routeHeaders: (upstreamBaseURL) => ({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamBaseURL }),
    stop,
  };
}
