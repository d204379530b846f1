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

  it('names the bad key', () => {
    expect(() => loadConfig(routerConfigSchema, { file, env: { SWITCHYARD_BUDGET__FAILURE_MODE: 'sometimes' }, envPrefix: 'SWITCHYARD_' })).toThrow(ConfigError);
    expect(() => loadConfig(routerConfigSchema, { file, env: { SWITCHYARD_BUDGET__FAILURE_MODE: 'sometimes' }, envPrefix: 'SWITCHYARD_' })).toThrow(/budget\.failureMode/);
  });
});
