import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKeyStore } from '@switchyard/grpc-kit';
import { ensureStackKeys } from './stack-keys';

describe('ensureStackKeys', () => {
  it('issues each key once, keeps only hashes in the key file, and reuses the secrets on restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-keys-'));
    const keyFile = join(dir, 'api-keys.json');
    const secretsFile = join(dir, 'secrets.json');
    const first = ensureStackKeys(keyFile, secretsFile);
    const again = ensureStackKeys(keyFile, secretsFile);
    expect(again).toEqual(first);
    const store = createApiKeyStore({ file: keyFile });
    expect(store.verify(first.demo)).toMatchObject({ teamId: 'demo', role: 'team' });
    expect(store.verify(first.admin)).toMatchObject({ role: 'admin' });
    expect(store.verify(first.router)).toMatchObject({ role: 'service' });
    expect(store.list()).toHaveLength(4);
    expect(JSON.stringify(store.list())).not.toContain(first.demo);
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
  });
});
