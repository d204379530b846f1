import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** What `npm start` writes to `.switchyard/stack.json`: the live endpoints of the local stack. */
export interface StackFile {
  router: string;
  billing?: string;
  evaluator?: string;
  http?: string;
  adapters?: Record<string, string>;
  demoApiKey?: string;
  adminApiKey?: string;
}

/**
 * Finds the local stack's file: `$SWITCHYARD_STACK_DIR/stack.json` when that variable is set (as `npm start`
 * honours it), else `.switchyard/stack.json` in `from` or a parent folder.
 */
export function findStackFile(from = process.cwd(), env: Record<string, string | undefined> = process.env): { path: string; stack: StackFile } | undefined {
  if (env.SWITCHYARD_STACK_DIR) {
    const path = resolve(env.SWITCHYARD_STACK_DIR, 'stack.json');
    return existsSync(path) ? { path, stack: JSON.parse(readFileSync(path, 'utf8')) as StackFile } : undefined;
  }
  let dir = resolve(from);
  for (;;) {
    const path = join(dir, '.switchyard', 'stack.json');
    if (existsSync(path)) return { path, stack: JSON.parse(readFileSync(path, 'utf8')) as StackFile };
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Where a command connects and with which key: flags, then environment, then the local stack file. */
export interface Connection {
  address: string;
  apiKey?: string;
}

/** A user-facing error: printed without a stack trace, exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * Resolves a service address and API key. Order: `--flag`, `SWITCHYARD_<SERVICE>` / `SWITCHYARD_API_KEY`
 * environment variables, then `.switchyard/stack.json` of a running `npm start`.
 */
export function resolveConnection(
  service: 'router' | 'billing' | 'evaluator',
  flags: { address?: string; apiKey?: string; admin?: boolean },
  env: Record<string, string | undefined> = process.env,
): Connection {
  const stack = findStackFile(process.cwd(), env)?.stack;
  const address = flags.address ?? env[`SWITCHYARD_${service.toUpperCase()}`] ?? stack?.[service];
  if (!address) {
    throw new CliError(
      `no ${service} address: pass --${service} HOST:PORT, set SWITCHYARD_${service.toUpperCase()}, or start the local stack with \`npm start\``,
    );
  }
  const apiKey = flags.apiKey ?? (flags.admin ? env.SWITCHYARD_ADMIN_API_KEY ?? stack?.adminApiKey : env.SWITCHYARD_API_KEY ?? stack?.demoApiKey);
  return { address, apiKey };
}
