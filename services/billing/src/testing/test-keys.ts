// Test support: API keys for each billing role, held in memory.
import { createApiKeyStore, generateApiKeySecret, hashApiKey, type ApiKeyStore, type StoredApiKey } from '@switchyard/grpc-kit';
import type { Principal } from '@switchyard/sdk';

/** Secrets by name, and the store that knows their hashes. */
export interface TestKeys {
  store: ApiKeyStore;
  secrets: Record<string, string>;
  /** The key file's JSON (for spawned processes). */
  fileContent: string;
}

/** Creates one key per entry: `{ admin: ['ops', 'admin'], router: ['ops', 'service'], alpha: ['alpha', 'team'] }`. */
export function createTestKeys(spec: Record<string, [teamId: string, role: Principal['role']]>): TestKeys {
  const secrets: Record<string, string> = {};
  const keys: StoredApiKey[] = Object.entries(spec).map(([name, [teamId, role]]) => {
    const { keyId, secret } = generateApiKeySecret();
    secrets[name] = secret;
    return { keyId, sha256: hashApiKey(secret), teamId, role };
  });
  return { store: createApiKeyStore({ keys }), secrets, fileContent: JSON.stringify({ keys }, null, 2) };
}
