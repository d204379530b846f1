import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { StackKeys } from './stack-keys';
import { REPLAY_MODELS, type StackUpstreams } from './simulated-upstreams';

/** Where the stack keeps its state, and the fixed parts of its layout. */
export interface StackLayout {
  repoRoot: string;
  /** `.switchyard/` in the repo: keys, config, data, outbox, stack.json. */
  stateDir: string;
  /** The router's address (the one address users type). */
  routerListen: string;
  /** The HTTP edge's address. */
  httpListen: string;
}

/** One service process to start: its name, entry point and config document. */
export interface ServicePlan {
  name: string;
  entry: string;
  config: Record<string, unknown>;
  /** Extra environment (provider keys). */
  env?: Record<string, string>;
}

/** The adapters of the demo: a strong closed model, a cheap open model, an in-house model, and the GSM8K weak model. */
export function adapterPlans(layout: StackLayout, upstreams: StackUpstreams): ServicePlan[] {
  const keyFile = join(layout.stateDir, 'api-keys.json');
  const compatible = (name: string, provider: string, deployment: string, baseUrl: string, models: Record<string, unknown>[]): ServicePlan => ({
    name,
    entry: 'services/adapter-openai-compatible/src/main.ts',
    config: { provider, deployment, upstream: { baseUrl, apiKeyEnv: 'UPSTREAM_API_KEY' }, models, auth: { apiKeysFile: keyFile } },
    env: { UPSTREAM_API_KEY: upstreams.openModel.apiKey },
  });
  const selfHosted = { selfHosted: true, capabilities: { contextWindowTokens: 32768, maxOutputTokens: 8192, tools: true, jsonOutput: true, structuredOutput: true, vision: false, streaming: true } };
  return [
    {
      name: 'adapter-openai',
      entry: 'services/adapter-openai/src/main.ts',
      config: {
        upstream: { baseUrl: upstreams.openai.baseUrl, apiKeyEnv: 'OPENAI_API_KEY' },
        models: [{ id: 'gpt-4.1' }, { id: 'gpt-4.1-mini' }, { id: 'gpt-4o' }, { id: 'gpt-4o-mini' }, { id: REPLAY_MODELS.strong }],
      },
      env: { OPENAI_API_KEY: upstreams.openai.apiKey },
    },
    {
      name: 'adapter-anthropic',
      entry: 'services/adapter-anthropic/src/main.ts',
      config: { upstream: { baseUrl: upstreams.anthropic.baseUrl, apiKeyEnv: 'ANTHROPIC_API_KEY' }, models: [{ id: 'claude-sonnet-4-5' }, { id: 'claude-haiku-4-5' }] },
      env: { ANTHROPIC_API_KEY: upstreams.anthropic.apiKey },
    },
    compatible('adapter-vllm-qwen', 'vllm-qwen', 'vllm-qwen-l4', upstreams.openModel.baseUrl, [{ id: 'qwen2.5-7b-instruct', ...selfHosted }]),
    compatible('adapter-in-house', 'in-house', 'in-house-a100', upstreams.inHouse.baseUrl, [{ id: 'support-llama-8b-ft', ...selfHosted }]),
    compatible('adapter-deepinfra', 'deepinfra', 'deepinfra-default', upstreams.openModel.baseUrl, [
      { id: REPLAY_MODELS.weak, capabilities: { contextWindowTokens: 32768, maxOutputTokens: 4096, tools: false, jsonOutput: true, streaming: true } },
    ]),
  ].map((plan) => ({ ...plan, config: { auth: { apiKeysFile: keyFile }, ...plan.config, listen: '127.0.0.1:0' } }));
}

/** The router's policy for the stack: the shipped demo policy plus the evaluation team (pinned runs of any model). */
export function stackPolicy(repoRoot: string): Record<string, unknown> {
  const policy = parse(readFileSync(join(repoRoot, 'services/router/config/policy.yaml'), 'utf8')) as {
    teams: Record<string, Record<string, unknown>>;
    qualityPriors?: Record<string, unknown>;
  };
  const everyModel = [
    ...new Set([...Object.values(policy.teams).flatMap((team) => (team.models as string[]) ?? []), `openai/${REPLAY_MODELS.strong}`, `deepinfra/${REPLAY_MODELS.weak}`, 'openai/gpt-4o', 'openai/gpt-4o-mini']),
  ];
  policy.teams.eval ??= { models: everyModel, qualityTarget: 0.5, allowPinning: true, baselineModel: 'openai/gpt-4.1', aliases: { 'switchyard/auto': {} } };
  return policy;
}

/** Config documents of billing, evaluator, router and the HTTP edge. */
export function corePlans(layout: StackLayout, keys: StackKeys, adapters: { name: string; address: string }[], billingAddress: string, evaluatorAddress: string) {
  const keyFile = join(layout.stateDir, 'api-keys.json');
  return {
    router: {
      name: 'router',
      entry: 'services/router/src/main.ts',
      config: {
        listen: layout.routerListen,
        keyFile,
        policyFile: join(layout.stateDir, 'config', 'policy.yaml'),
        adapters: adapters.map((a) => ({ name: a.name, address: a.address, apiKey: keys.router })),
        billing: { address: billingAddress, apiKey: keys.router },
        evaluator: { address: evaluatorAddress, apiKey: keys.router },
        outbox: { dir: join(layout.stateDir, 'router-outbox') },
      },
    } satisfies ServicePlan,
    httpEdge: {
      name: 'http-edge',
      entry: 'services/http-edge/src/main.ts',
      config: { listen: layout.httpListen, router: { address: layout.routerListen } },
    } satisfies ServicePlan,
  };
}

/** billing's config: PGlite under the state folder, teams bootstrapped. */
export function billingPlan(layout: StackLayout): ServicePlan {
  return {
    name: 'billing',
    entry: 'services/billing/src/main.ts',
    config: {
      listen: '127.0.0.1:0',
      database: { dataDir: join(layout.stateDir, 'data', 'billing') },
      auth: { apiKeysFile: join(layout.stateDir, 'api-keys.json') },
      bootstrapTeams: [
        { teamId: 'demo', displayName: 'Demo team', baselineModel: 'openai/gpt-4.1' },
        { teamId: 'eval', displayName: 'Evaluation cost centre', baselineModel: 'openai/gpt-4.1' },
      ],
    },
  };
}

/** The evaluator's config: calls models through the router as the evaluation team. */
export function evaluatorPlan(layout: StackLayout, keys: StackKeys): ServicePlan {
  return {
    name: 'evaluator',
    entry: 'services/evaluator/src/main.ts',
    config: {
      listen: '127.0.0.1:0',
      database: { dataDir: join(layout.stateDir, 'data', 'evaluator') },
      models: { caller: 'router', router: { address: layout.routerListen, apiKey: keys.evaluator } },
      judge: { model: 'openai/gpt-4.1' },
      online: { referenceModel: 'openai/gpt-4.1' },
    },
  };
}

/** YAML text of a config document. */
export const toYaml = (value: unknown) => stringify(value);
