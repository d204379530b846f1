import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadGsm8kReplay, startFakeAnthropic, startFakeOpenAI, type FakeUpstream, type ReplayTable } from '@switchyard/testing';

/** The upstreams the stack talks to: simulated on loopback, or the real provider when a key is set. */
export interface StackUpstreams {
  openai: { baseUrl: string; apiKey: string; simulated: boolean };
  anthropic: { baseUrl: string; apiKey: string; simulated: boolean };
  /** The OpenAI-compatible server behind the self-hosted open model (vLLM/Ollama serving Qwen). */
  openModel: { baseUrl: string; apiKey: string; simulated: boolean };
  /** The in-house model's OpenAI-compatible server. */
  inHouse: { baseUrl: string; apiKey: string; simulated: boolean };
  /** Whether the fakes replay RouteLLM's recorded GSM8K answers. */
  replay: boolean;
  close(): Promise<void>;
}

/** Options for startStackUpstreams. */
export interface StackUpstreamOptions {
  env: Record<string, string | undefined>;
  /** Folder with RouteLLM's routing data (`../shared/data/routing` from the repo); optional. */
  routingDataDir?: string;
}

/** The strong and weak models whose real GSM8K answers the fakes replay. */
export const REPLAY_MODELS = { strong: 'gpt-4-1106-preview', weak: 'mixtral-8x7b-instruct' } as const;

/**
 * Starts fake upstreams that speak the real OpenAI and Anthropic wire for every provider without a
 * key in the environment. With `OPENAI_API_KEY`, `ANTHROPIC_API_KEY` or
 * `SWITCHYARD_OPEN_MODEL_BASE_URL` set, that provider is real; the banner always says which.
 */
export async function startStackUpstreams(options: StackUpstreamOptions): Promise<StackUpstreams> {
  const { env } = options;
  const fakes: FakeUpstream[] = [];
  let replay: ReplayTable | undefined;
  const responses = options.routingDataDir && join(options.routingDataDir, 'routellm_gsm8k_responses.jsonl');
  if (responses && existsSync(responses)) {
    replay = await loadGsm8kReplay(responses, {
      strongModel: REPLAY_MODELS.strong,
      weakModel: REPLAY_MODELS.weak,
      promptsFile: join(options.routingDataDir!, 'routellm_gsm8k.jsonl'),
    });
  }
  const fake = async (start: () => Promise<FakeUpstream>) => {
    const upstream = await start();
    fakes.push(upstream);
    return upstream;
  };
  const simulatedKey = 'sk-switchyard-simulated';

  const openai = env.OPENAI_API_KEY
    ? { baseUrl: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1', apiKey: env.OPENAI_API_KEY, simulated: false }
    : { baseUrl: (await fake(() => startFakeOpenAI({ apiKey: simulatedKey, replay }))).baseURL, apiKey: simulatedKey, simulated: true };
  const anthropic = env.ANTHROPIC_API_KEY
    ? { baseUrl: env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com', apiKey: env.ANTHROPIC_API_KEY, simulated: false }
    : { baseUrl: (await fake(() => startFakeAnthropic({ apiKey: simulatedKey }))).baseURL, apiKey: simulatedKey, simulated: true };
  const openModel = env.SWITCHYARD_OPEN_MODEL_BASE_URL
    ? { baseUrl: env.SWITCHYARD_OPEN_MODEL_BASE_URL, apiKey: env.SWITCHYARD_OPEN_MODEL_API_KEY ?? '', simulated: false }
    : { baseUrl: (await fake(() => startFakeOpenAI({ apiKey: simulatedKey, replay }))).baseURL, apiKey: simulatedKey, simulated: true };
  const inHouse = { baseUrl: (await fake(() => startFakeOpenAI({ apiKey: simulatedKey }))).baseURL, apiKey: simulatedKey, simulated: true };

  return {
    openai,
    anthropic,
    openModel,
    inHouse,
    replay: replay !== undefined,
    close: async () => {
      await Promise.all(fakes.map((f) => f.close()));
    },
  };
}
