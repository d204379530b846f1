import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { waitForServing } from '@switchyard/grpc-kit';

/** A free loopback port (the OS picks one; it is released before returning, so use it at once). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Writes `tsconfig.json` into `dir` (inside the repo): the workspace's base config with a path for
 * every `libs/*` package, including ones not yet listed in tsconfig.base.json, so `tsx` can run a
 * service (or a freshly generated one) from source. Returns the file's path.
 */
export function writeWorkspaceTsconfig(repoRoot: string, dir: string): string {
  const base = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths?: Record<string, string[]> };
  };
  const toDir = (target: string) => relative(dir, join(repoRoot, target)).split('\\').join('/');
  const paths: Record<string, string[]> = {};
  for (const [alias, targets] of Object.entries(base.compilerOptions.paths ?? {})) paths[alias] = targets.map(toDir);
  for (const lib of readdirSync(join(repoRoot, 'libs'))) {
    const manifest = join(repoRoot, 'libs', lib, 'package.json');
    if (!existsSync(manifest)) continue;
    const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
    if (name && !paths[name]) paths[name] = [toDir(`libs/${lib}/src/index.ts`)];
  }
  const file = join(dir, 'tsconfig.json');
  writeFileSync(file, JSON.stringify({ extends: toDir('tsconfig.base.json'), compilerOptions: { paths } }, null, 2));
  return file;
}

/** Options of {@link startAdapterProcess}. */
export interface AdapterProcessOptions {
  /** The service's entry point, e.g. `services/adapter-openai/src/main.ts`. */
  entry: string;
  /** The tsconfig tsx resolves workspace imports with (see {@link writeWorkspaceTsconfig}). */
  tsconfig: string;
  /** The child's whole environment (pass `process.env` plus the adapter's settings); `SWITCHYARD_LISTEN` is added. */
  env: Record<string, string | undefined>;
  /** Working directory. */
  cwd: string;
  /** How long to wait for the gRPC health check to say SERVING, ms (default 30 000). */
  readyTimeoutMs?: number;
}

/** A running adapter process. */
export interface AdapterProcess {
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts a ProviderService adapter as its own process under tsx on a free loopback port and waits
 * until its health check answers SERVING. For end-to-end tests and conformance runs of real processes.
 */
export async function startAdapterProcess(options: AdapterProcessOptions): Promise<AdapterProcess> {
  const port = await freeLoopbackPort();
  const address = `127.0.0.1:${port}`;
  // tsx as a loader in this node process (not its CLI, which runs the script in a grandchild), so
  // `child.pid` is the server itself: signals reach it directly and its CPU time can be read.
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    cwd: options.cwd,
    env: { ...options.env, TSX_TSCONFIG_PATH: options.tsconfig, SWITCHYARD_LISTEN: address },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    await Promise.race([
      waitForServing(address, options.readyTimeoutMs ?? 30_000),
      exited.then((code) => {
        throw new Error(`adapter exited with code ${code} before serving`);
      }),
    ]);
  } catch (error) {
    await stop(1000);
    throw new Error(`${(error as Error).message}\n--- adapter output ---\n${output}`);
  }
  return { address, child, output: () => output, stop };
}
