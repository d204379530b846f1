import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { readProviderKey, upstreamConfigSchema } from './adapter-config';
import { upstreamTimeoutMs } from './upstream-deadline';

describe('readProviderKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'provider-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers the key file, trimmed, over the environment', () => {
    const file = join(dir, 'key');
    writeFileSync(file, '  sk-from-file\n');
    expect(readProviderKey({ file, envName: 'OPENAI_API_KEY', envValue: 'sk-from-env' })).toBe('sk-from-file');
    expect(readProviderKey({ envName: 'OPENAI_API_KEY', envValue: 'sk-from-env' })).toBe('sk-from-env');
  });

  it('names where it looked, never a key', () => {
    expect(() => readProviderKey({ envName: 'OPENAI_API_KEY' })).toThrow(/OPENAI_API_KEY/);
    expect(readProviderKey({ envName: 'X' }, false)).toBeUndefined();
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => readProviderKey({ file: empty })).toThrow(/empty/);
  });
});

describe('upstreamConfigSchema', () => {
  it('accepts only http(s) base URLs', () => {
    expect(upstreamConfigSchema.safeParse({ baseUrl: 'https://api.openai.com/v1' }).success).toBe(true);
    expect(upstreamConfigSchema.safeParse({ baseUrl: 'file:///etc/passwd' }).success).toBe(false);
    expect(upstreamConfigSchema.safeParse({ baseUrl: 'not a url' }).success).toBe(false);
  });
});

describe('upstreamTimeoutMs', () => {
  it('cuts the configured timeout to the time left, and refuses when nothing is left', () => {
    expect(upstreamTimeoutMs(Infinity, 120_000)).toBe(120_000);
    expect(upstreamTimeoutMs(1500.7, 120_000)).toBe(1500);
    expect(upstreamTimeoutMs(0.4, 120_000)).toBe(1);
    let caught: unknown;
    try {
      upstreamTimeoutMs(0, 120_000);
    } catch (error) {
      caught = error;
    }
    expect((caught as ServiceFailure).code).toBe(Status.DEADLINE_EXCEEDED);
  });
});
