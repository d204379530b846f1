import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';

const schema = z.object({
  listen: z.string().default('127.0.0.1:0'),
  upstream: z.object({ baseUrl: z.string().url(), timeoutMs: z.number().int().positive().default(30_000) }),
  models: z.array(z.string()).default([]),
});

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('reads YAML, applies defaults and freezes the result', () => {
    const config = loadConfig(schema, { file: yamlFile('upstream:\n  baseUrl: http://127.0.0.1:9000/v1\n') });
    expect(config).toEqual({ listen: '127.0.0.1:0', upstream: { baseUrl: 'http://127.0.0.1:9000/v1', timeoutMs: 30_000 }, models: [] });
    expect(Object.isFrozen(config.upstream)).toBe(true);
  });

  it('lets prefixed environment variables override nested keys with typed values', () => {
    const config = loadConfig(schema, {
      file: yamlFile('upstream:\n  baseUrl: http://a.example/v1\n'),
      env: { SY_UPSTREAM__BASE_URL: 'http://127.0.0.1:1/v1', SY_UPSTREAM__TIMEOUT_MS: '500', SY_MODELS: '[a, b]', OTHER: 'x' },
      envPrefix: 'SY_',
    });
    expect(config.upstream).toEqual({ baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 500 });
    expect(config.models).toEqual(['a', 'b']);
  });

  it.each([
    ['a bad value', 'upstream:\n  baseUrl: not-a-url\n', 'upstream.baseUrl'],
    ['a missing key', 'listen: 127.0.0.1:1\n', 'upstream'],
    ['a wrong type', 'upstream:\n  baseUrl: http://x.example\n  timeoutMs: soon\n', 'upstream.timeoutMs'],
  ])('fails at start on %s, naming the key', (_case, text, key) => {
    expect(() => loadConfig(schema, { file: yamlFile(text) })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { file: yamlFile(text) })).toThrow(key);
  });

  it('names an unreadable or malformed file', () => {
    expect(() => loadConfig(schema, { file: '/nonexistent/switchyard.yaml' })).toThrow(/cannot be read/);
    expect(() => loadConfig(schema, { file: yamlFile('upstream: [unclosed\n') })).toThrow(/not valid YAML/);
  });
});
