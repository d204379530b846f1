import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '@switchyard/config';
import { routerConfigSchema } from './config';

describe('router config', () => {
  const file = resolve(__dirname, '../config/router.yaml');

  it('loads the shipped file with environment overrides', () => {
    const config = loadConfig(routerConfigSchema, {
      file,
      env: { SWITCHYARD_BILLING__API_KEY: 'sy_0123456789_secretsecretsecretsecret', SWITCHYARD_BUDGET__FAILURE_MODE: 'failClosed' },
      envPrefix: 'SWITCHYARD_',
    });
    expect(config.listen).toBe('127.0.0.1:50051');
    expect(config.billing.apiKey).toBe('sy_0123456789_secretsecretsecretsecret');
    expect(config.budget.failureMode).toBe('failClosed');
    expect(config.adapters.map((a) => a.name)).toEqual(['openai-default', 'anthropic-default', 'openai-compatible']);
    expect(config.outbox.batchSize).toBe(200);
    expect(config.circuit).toEqual({ consecutiveFailures: 5, halfOpenAfterMs: 10_000 });
  });

  it('leases budget by default, and refuses a lease TTL too short to admit any request', () => {
    const env = { SWITCHYARD_BILLING__API_KEY: 'sy_0123456789_secretsecretsecretsecret' };
    const config = loadConfig(routerConfigSchema, { file, env, envPrefix: 'SWITCHYARD_' });
    expect(config.budget.lease).toEqual({ enabled: true, requests: 100, minNanosUsd: 100_000_000, headroom: 20, minRequests: 10, termMs: 30_000, ttlMs: 300_000 });
    const off = loadConfig(routerConfigSchema, { file, env: { ...env, SWITCHYARD_BUDGET__LEASE__ENABLED: 'false' }, envPrefix: 'SWITCHYARD_' });
    expect(off.budget.lease.enabled).toBe(false);
    const short = { ...env, SWITCHYARD_BUDGET__LEASE__TERM_MS: '60000', SWITCHYARD_BUDGET__LEASE__TTL_MS: '60000' };
    expect(() => loadConfig(routerConfigSchema, { file, env: short, envPrefix: 'SWITCHYARD_' })).toThrow(/budget\.lease\.ttlMs/);
    // Longer than its term, but too short for any request's own hold (deadline + 60 s) to fit inside it.
    const unusable = { ...env, SWITCHYARD_BUDGET__LEASE__TERM_MS: '2000', SWITCHYARD_BUDGET__LEASE__TTL_MS: '30000' };
    expect(() => loadConfig(routerConfigSchema, { file, env: unusable, envPrefix: 'SWITCHYARD_' })).toThrow(/termMs \+ 60000/);
  });

  it('names the bad key', () => {
    expect(() => loadConfig(routerConfigSchema, { file, env: { SWITCHYARD_BUDGET__FAILURE_MODE: 'sometimes' }, envPrefix: 'SWITCHYARD_' })).toThrow(ConfigError);
    expect(() => loadConfig(routerConfigSchema, { file, env: { SWITCHYARD_BUDGET__FAILURE_MODE: 'sometimes' }, envPrefix: 'SWITCHYARD_' })).toThrow(/budget\.failureMode/);
  });
});
