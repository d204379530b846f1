// PostgreSQL for the scenarios: a uniquely named database on the machine's server (127.0.0.1:5432),
// or a throwaway server of our own (initdb + pg_ctl on a free port) when a test must kill the database.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchPostgres, type ScratchPostgres } from '@switchyard/database/testing';
import { freePort } from './service-process';

/** A database the scenario owns; `drop()` removes it. */
export type ScratchDatabase = ScratchPostgres;

/** Creates `reliability_<pid>_<random>` on the machine's PostgreSQL (or on `adminUrl`'s server). */
export function createScratchDatabase(adminUrl?: string): Promise<ScratchDatabase> {
  return createScratchPostgres({ adminUrl, prefix: 'reliability' });
}

/** A PostgreSQL server of the scenario's own, which it may stop, kill and start again. */
export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  adminUrl: string;
  port: number;
  /** Immediate shutdown (like a crash: no checkpoint, clients are cut). */
  crash(): void;
  /** Starts the server again on the same port and data folder. */
  start(): void;
  /** Stops the server and deletes its folder. */
  destroy(): void;
}

const PG_BIN_CANDIDATES = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

/**
 * initdb + pg_ctl as the `postgres` user on a free port, listening only on 127.0.0.1 (fsync off: it
 * is thrown away). About a second to start.
 */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = PG_BIN_CANDIDATES.find((dir) => existsSync(join(dir, 'initdb')));
  if (!bin) throw new Error(`no PostgreSQL server binaries in ${PG_BIN_CANDIDATES.join(', ')}`);
  const folder = mkdtempSync(join(tmpdir(), 'reliability-pg-'));
  chmodSync(folder, 0o777);
  const data = join(folder, 'data');
  const port = await freePort();
  const asPostgres = (command: string, args: string[]) => {
    const isRoot = process.getuid?.() === 0;
    return isRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { stdio: 'pipe', timeout: 60_000 })
      : execFileSync(join(bin, command), args, { stdio: 'pipe', timeout: 60_000 });
  };
  asPostgres('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${folder} -c fsync=off -c max_connections=100`;
  const start = () => asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', join(folder, 'server.log'), '-w', '-t', '30', 'start']);
  start();
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    crash: () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    start,
    destroy() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
