import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceIdentityFromEntry } from './service-identity';

describe('serviceIdentityFromEntry', () => {
  const root = mkdtempSync(join(tmpdir(), 'identity-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads the nearest package.json above the entry script, dropping the scope', () => {
    mkdirSync(join(root, 'services/router/src'), { recursive: true });
    writeFileSync(join(root, 'services/router/package.json'), JSON.stringify({ name: '@switchyard/router', version: '0.3.1' }));
    expect(serviceIdentityFromEntry(join(root, 'services/router/src/main.ts'))).toEqual({ name: 'router', version: '0.3.1' });
  });

  it('falls back to the script name, and to unknown_service without one', () => {
    mkdirSync(join(root, 'loose'), { recursive: true });
    writeFileSync(join(root, 'loose/package.json'), '{ not json');
    expect(serviceIdentityFromEntry(join(root, 'loose/worker.ts'))).toEqual({ name: 'worker' });
    expect(serviceIdentityFromEntry(undefined)).toEqual({ name: 'unknown_service:node' });
  });
});
