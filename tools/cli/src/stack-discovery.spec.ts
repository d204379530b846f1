import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, findStackFile, resolveConnection } from './stack-discovery';

describe('stack discovery', () => {
  const original = process.cwd();
  afterEach(() => process.chdir(original));

  it('finds .switchyard/stack.json in a parent folder and prefers flags, then environment', () => {
    const root = mkdtempSync(join(tmpdir(), 'stack-'));
    mkdirSync(join(root, '.switchyard'));
    mkdirSync(join(root, 'sub', 'dir'), { recursive: true });
    writeFileSync(join(root, '.switchyard', 'stack.json'), JSON.stringify({ router: '127.0.0.1:50051', billing: '127.0.0.1:7', demoApiKey: 'demo', adminApiKey: 'admin' }));
    process.chdir(join(root, 'sub', 'dir'));
    expect(findStackFile()?.stack.router).toBe('127.0.0.1:50051');
    expect(resolveConnection('router', {}, {})).toEqual({ address: '127.0.0.1:50051', apiKey: 'demo' });
    expect(resolveConnection('billing', { admin: true }, {})).toEqual({ address: '127.0.0.1:7', apiKey: 'admin' });
    expect(resolveConnection('router', {}, { SWITCHYARD_ROUTER: '127.0.0.2:1', SWITCHYARD_API_KEY: 'env' })).toEqual({ address: '127.0.0.2:1', apiKey: 'env' });
    expect(resolveConnection('router', { address: 'flag:1', apiKey: 'k' }, { SWITCHYARD_ROUTER: 'env:1' })).toEqual({ address: 'flag:1', apiKey: 'k' });
  });

  it('reads the stack file from SWITCHYARD_STACK_DIR when set, as npm start writes it there', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'stack-dir-'));
    writeFileSync(join(stateDir, 'stack.json'), JSON.stringify({ router: '127.0.0.3:50051', demoApiKey: 'from-dir' }));
    process.chdir(mkdtempSync(join(tmpdir(), 'elsewhere-')));
    expect(resolveConnection('router', {}, { SWITCHYARD_STACK_DIR: stateDir })).toEqual({ address: '127.0.0.3:50051', apiKey: 'from-dir' });
    expect(() => resolveConnection('router', {}, { SWITCHYARD_STACK_DIR: join(stateDir, 'missing') })).toThrow(CliError);
  });

  it('explains how to get an address when there is none', () => {
    process.chdir(mkdtempSync(join(tmpdir(), 'nostack-')));
    expect(() => resolveConnection('evaluator', {}, {})).toThrow(CliError);
    expect(() => resolveConnection('evaluator', {}, {})).toThrow(/--evaluator HOST:PORT.*npm start/);
  });
});
