import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Principal, ServerCallContext } from '@switchyard/sdk';
import { unauthenticated } from './service-failure';

/** One stored key: only the SHA-256 of the secret is kept. */
export interface StoredApiKey {
  keyId: string;
  sha256: string;
  teamId: string;
  role: Principal['role'];
  description?: string;
  createdAt?: string;
  revokedAt?: string;
}

/** Options for createApiKeyStore: a key file (reloaded when it changes) or fixed keys. */
export interface ApiKeyStoreOptions {
  /** JSON file `{ "keys": StoredApiKey[] }`; created on first write. */
  file?: string;
  /** Keys held in memory only (tests, or keys injected from a secret manager). */
  keys?: StoredApiKey[];
  /** How often the file's mtime is checked for changes, ms; default 1000. */
  reloadIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** A key issued by `issue`: the secret is returned once and never stored. */
export interface IssuedApiKey {
  key: StoredApiKey;
  secret: string;
}

/** The API-key store: verify presented secrets, issue and revoke keys. */
export interface ApiKeyStore {
  /** The principal for a presented secret, or undefined when unknown or revoked. Timing-safe. */
  verify(secret: string): Principal | undefined;
  /** Issues a key for a team (persisted to the file when there is one). */
  issue(teamId: string, role: Principal['role'], description?: string): IssuedApiKey;
  /** Revokes a key by id; returns the revoked key, or undefined when unknown. */
  revoke(keyId: string): StoredApiKey | undefined;
  /** All keys, without secrets. */
  list(): StoredApiKey[];
}

const SECRET_PATTERN = /^sy_([0-9a-f]{10})_[A-Za-z0-9_-]{20,}$/;
const DUMMY_HASH = Buffer.alloc(32);

/** SHA-256 of a secret, hex. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new random secret and its key id: `sy_<keyId>_<32 random base64url chars>`. */
export function generateApiKeySecret(): { keyId: string; secret: string } {
  const keyId = randomBytes(5).toString('hex');
  return { keyId, secret: `sy_${keyId}_${randomBytes(24).toString('base64url')}` };
}

/** Creates an API-key store. Keys in a file are re-read when the file changes, so no restart is needed. */
export function createApiKeyStore(options: ApiKeyStoreOptions): ApiKeyStore {
  const now = options.now ?? Date.now;
  const interval = options.reloadIntervalMs ?? 1000;
  let keys = new Map<string, StoredApiKey>((options.keys ?? []).map((k) => [k.keyId, k]));
  let fileMtime = -1;
  let lastCheck = -Infinity;

  const reloadIfChanged = () => {
    if (!options.file || now() - lastCheck < interval) return;
    lastCheck = now();
    let mtime: number;
    try {
      mtime = statSync(options.file).mtimeMs;
    } catch {
      return; // no file yet: only in-memory keys
    }
    if (mtime === fileMtime) return;
    const parsed = JSON.parse(readFileSync(options.file, 'utf8')) as { keys?: StoredApiKey[] };
    keys = new Map([...(options.keys ?? []), ...(parsed.keys ?? [])].map((k) => [k.keyId, k]));
    fileMtime = mtime;
  };

  const persist = () => {
    if (!options.file) return;
    mkdirSync(dirname(options.file), { recursive: true });
    const inMemory = new Set((options.keys ?? []).map((k) => k.keyId));
    const fileKeys = [...keys.values()].filter((k) => !inMemory.has(k.keyId));
    const tmp = `${options.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ keys: fileKeys }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, options.file); // atomic: readers never see half a file
    lastCheck = -Infinity;
  };

  reloadIfChanged();
  return {
    verify(secret) {
      reloadIfChanged();
      const match = SECRET_PATTERN.exec(secret);
      const stored = match ? keys.get(match[1]!) : undefined;
      const presented = Buffer.from(hashApiKey(secret), 'hex');
      const expected = stored ? Buffer.from(stored.sha256, 'hex') : DUMMY_HASH;
      const equal = expected.length === presented.length && timingSafeEqual(expected, presented);
      if (!stored || !equal || stored.revokedAt) return undefined;
      return { keyId: stored.keyId, teamId: stored.teamId, role: stored.role };
    },
    issue(teamId, role, description) {
      reloadIfChanged();
      const { keyId, secret } = generateApiKeySecret();
      const key: StoredApiKey = { keyId, sha256: hashApiKey(secret), teamId, role, description, createdAt: new Date(now()).toISOString() };
      keys.set(keyId, key);
      persist();
      return { key, secret };
    },
    revoke(keyId) {
      reloadIfChanged();
      const key = keys.get(keyId);
      if (!key) return undefined;
      const revoked = { ...key, revokedAt: key.revokedAt ?? new Date(now()).toISOString() };
      keys.set(keyId, revoked);
      persist();
      return revoked;
    },
    list() {
      reloadIfChanged();
      return [...keys.values()].map((k) => ({ ...k }));
    },
  };
}

/** The secret a call presents: `authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedApiKey(context: Pick<ServerCallContext, 'metadata'>): string | undefined {
  const authorization = context.metadata.get('authorization')[0];
  if (typeof authorization === 'string' && authorization.toLowerCase().startsWith('bearer ')) return authorization.slice(7).trim();
  const header = context.metadata.get('x-api-key')[0];
  return typeof header === 'string' ? header.trim() : undefined;
}

/** An `authenticate` hook for startGrpcServer that accepts the store's keys and refuses everything else. */
export function createApiKeyAuthenticator(store: ApiKeyStore): (context: ServerCallContext) => Principal {
  return (context) => {
    const secret = presentedApiKey(context);
    if (!secret) throw unauthenticated('missing API key: send "authorization: Bearer <key>" or "x-api-key: <key>" metadata', 'API_KEY_MISSING');
    const principal = store.verify(secret);
    if (!principal) throw unauthenticated('API key is not valid (unknown or revoked)', 'API_KEY_INVALID');
    return principal;
  };
}
