import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic } from './fake-anthropic/fake-anthropic';
import { startFakeOpenAI } from './fake-openai/fake-openai';
import { createReplayTable, loadGsm8kReplay, normalisePrompt, type ReplayTable } from './replay-table';

const PROMPT = 'A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in total does it take?';

describe('replay table', () => {
  let folder: string;
  let table: ReplayTable;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'switchyard-replay-'));
    const responses = [
      { id: 'gsm8k/1', weak_response: ' It takes 2.5 bolts.\n#### 3', strong_response: 'It takes 2 + 1 = 3 bolts.' },
      { id: 'gsm8k/2', weak_response: 'orphan', strong_response: 'orphan' },
    ];
    const prompts = [{ id: 'gsm8k/1', benchmark: 'gsm8k', prompt: PROMPT, strong_output_tokens: 11, weak_output_tokens: 13 }];
    await writeFile(path.join(folder, 'routellm_gsm8k_responses.jsonl'), responses.map((row) => JSON.stringify(row)).join('\n') + '\n');
    await writeFile(path.join(folder, 'routellm_gsm8k.jsonl'), prompts.map((row) => JSON.stringify(row)).join('\n') + '\n');
    table = await loadGsm8kReplay(path.join(folder, 'routellm_gsm8k_responses.jsonl'), {
      strongModel: ['gpt-4-1106-preview', 'claude-sonnet-4-6'],
      weakModel: 'mixtral-8x7b',
    });
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('joins answers with prompts by id and maps served models to strong or weak', () => {
    expect(table.size).toBe(1);
    expect(table.lookup('gpt-4-1106-preview', PROMPT)).toEqual({ text: 'It takes 2 + 1 = 3 bolts.', outputTokens: 11 });
    expect(table.lookup('mixtral-8x7b', PROMPT)).toEqual({ text: ' It takes 2.5 bolts.\n#### 3', outputTokens: 13 });
    expect(table.lookup('unknown-model', PROMPT)).toBeUndefined();
    expect(table.lookup('mixtral-8x7b', 'another prompt')).toBeUndefined();
  });

  it('matches prompts whatever their whitespace', () => {
    expect(normalisePrompt('  a\n\tb   c ')).toBe('a b c');
    expect(table.lookup('mixtral-8x7b', PROMPT.replace(/ /g, '\n  '))).toBeDefined();
  });

  it('makes a fake OpenAI serve the recorded answer with the recorded token count', async () => {
    const fake = await startFakeOpenAI({ replay: table });
    try {
      const client = new OpenAI({ baseURL: fake.baseURL, apiKey: fake.apiKey, maxRetries: 0 });
      const strong = await client.chat.completions.create({
        model: 'gpt-4-1106-preview',
        messages: [
          { role: 'system', content: 'Solve the problem.' },
          { role: 'user', content: PROMPT },
        ],
      });
      expect(strong.choices[0]?.message.content).toBe('It takes 2 + 1 = 3 bolts.');
      expect(strong.usage?.completion_tokens).toBe(11);

      const weak = await client.chat.completions.create({
        model: 'mixtral-8x7b',
        messages: [{ role: 'user', content: PROMPT }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let completionTokens: number | undefined;
      for await (const chunk of weak) {
        text += chunk.choices[0]?.delta.content ?? '';
        completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
      }
      expect(text).toBe(' It takes 2.5 bolts.\n#### 3');
      expect(completionTokens).toBe(13);

      const other = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: PROMPT }] });
      expect(other.choices[0]?.message.content).toMatch(/^\[gpt-4o\] answer to: /);
    } finally {
      await fake.close();
    }
  });

  it('makes a fake Anthropic serve the recorded answer', async () => {
    const fake = await startFakeAnthropic({ replay: table });
    try {
      const client = new Anthropic({ baseURL: fake.baseURL, apiKey: fake.apiKey, maxRetries: 0 });
      const message = await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 512,
        messages: [{ role: 'user', content: PROMPT }],
      });
      expect(message.content).toEqual([{ type: 'text', text: 'It takes 2 + 1 = 3 bolts.' }]);
      expect(message.usage.output_tokens).toBe(11);
    } finally {
      await fake.close();
    }
  });

  it('builds tables from rows; later rows add models', () => {
    const custom = createReplayTable([
      { prompt: 'q', answers: { a: { text: 'one' } } },
      { prompt: 'q ', answers: { b: { text: 'two' } } },
    ]);
    expect(custom.size).toBe(1);
    expect(custom.lookup('a', 'q')?.text).toBe('one');
    expect(custom.lookup('b', 'q')?.text).toBe('two');
  });
});
