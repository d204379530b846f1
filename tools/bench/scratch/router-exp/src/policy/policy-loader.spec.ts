import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPolicySource, parseRoutingPolicy, PolicyError } from './policy-loader';

const minimal = (target: number) => `version: 1\nteams:\n  acme: { models: [openai/gpt-4.1-mini], qualityTarget: ${target} }\n  "*": { models: [openai/*] }\n`;

describe('routing policy files', () => {
  it('parses the shipped policy', () => {
    const policy = parseRoutingPolicy(readFileSync(resolve(__dirname, '../../config/policy.yaml'), 'utf8'));
    expect(policy.teams['demo']?.baselineModel).toBe('openai/gpt-4.1');
    expect(policy.teams['demo']?.canary[0]?.model).toBe('in-house/support-llama-8b-ft');
  });

  it.each([
    ['not YAML', 'teams: [', /not valid YAML/],
    ['a wrong version', 'version: 2\nteams: {}', /version/],
    ['a bad model selector', 'version: 1\nteams:\n  a: { models: ["gpt 4"] }', /teams\.a\.models\.0/],
    ['a quality target above 1', 'version: 1\nteams:\n  a: { models: ["*"], qualityTarget: 1.5 }', /teams\.a\.qualityTarget/],
  ])('rejects %s, naming the key', (_name, text, message) => {
    expect(() => parseRoutingPolicy(text)).toThrow(PolicyError);
    expect(() => parseRoutingPolicy(text)).toThrow(message);
  });

  it('reloads on change, keeps the last good policy when a change is invalid, and falls back to "*"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'router-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, minimal(0.8));
    const events: boolean[] = [];
    const source = createPolicySource({ file, reloadIntervalMs: 0, onReload: (e) => events.push(e.ok) });
    try {
      expect(source.teamPolicy('acme')?.qualityTarget).toBe(0.8);
      expect(source.teamPolicy('other')?.models).toEqual(['openai/*']);
      expect(source.teamPolicy('constructor')?.models).toEqual(['openai/*']);

      writeFileSync(file, minimal(0.9));
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      source.reloadIfChanged();
      expect(source.teamPolicy('acme')?.qualityTarget).toBe(0.9);

      writeFileSync(file, 'version: 1\nteams: { acme: { models: [] } }');
      utimesSync(file, new Date(), new Date(Date.now() + 10_000));
      source.reloadIfChanged();
      expect(source.teamPolicy('acme')?.qualityTarget).toBe(0.9);
      expect(events).toEqual([true, false]);
    } finally {
      source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
