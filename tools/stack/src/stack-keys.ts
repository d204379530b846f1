import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createApiKeyStore, type StoredApiKey } from '@switchyard/grpc-kit';

/** The keys the local stack needs: one per role a person or service plays. */
export interface StackKeys {
  /** The demo team's key, for people trying the stack. */
  demo: string;
  /** An admin key (budgets, prices, keys, all spend). */
  admin: string;
  /** The router's service key for billing. */
  router: string;
  /** The evaluator's key for the router, billed to the evaluation cost centre (team `eval`). */
  evaluator: string;
}

const roles: Record<keyof StackKeys, { teamId: string; role: StoredApiKey['role']; description: string }> = {
  demo: { teamId: 'demo', role: 'team', description: 'local stack: demo team' },
  admin: { teamId: 'platform', role: 'admin', description: 'local stack: admin' },
  router: { teamId: 'switchyard-router', role: 'service', description: 'local stack: router → billing' },
  evaluator: { teamId: 'eval', role: 'team', description: 'local stack: evaluator → router (evaluation cost centre)' },
};

/**
 * Issues the local stack's keys once and keeps their secrets in `secretsFile` (mode 0600) so a
 * restarted stack keeps working; the key file holds only hashes. Local development only: a real
 * deployment issues keys with `switchyard keys create` and keeps secrets in its secret manager.
 */
export function ensureStackKeys(keyFile: string, secretsFile: string): StackKeys {
  const store = createApiKeyStore({ file: keyFile, reloadIntervalMs: 0 });
  const saved: Partial<StackKeys> = existsSync(secretsFile) ? (JSON.parse(readFileSync(secretsFile, 'utf8')) as Partial<StackKeys>) : {};
  const keys = {} as StackKeys;
  for (const name of Object.keys(roles) as (keyof StackKeys)[]) {
    const secret = saved[name];
    const principal = secret ? store.verify(secret) : undefined;
    keys[name] = principal ? secret! : store.issue(roles[name].teamId, roles[name].role, roles[name].description).secret;
  }
  mkdirSync(dirname(secretsFile), { recursive: true });
  writeFileSync(secretsFile, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  return keys;
}
