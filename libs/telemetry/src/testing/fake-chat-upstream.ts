// A tiny OpenAI-style chat upstream for this library's cross-process test. (@switchyard/testing has
// the full wire-faithful fakes, but a type:lib project may not depend on type:testing.) It answers
// POST /v1/chat/completions with a chat.completion that echoes the prompt — so a leak of completion
// text would show — reports cached and reasoning tokens, and answers 503 for the models told to fail.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake answered one request with. */
export interface FakeChatExchange {
  request: { model: string; messages: { role: string; content: string }[] };
  status: number;
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens: number; reasoning_tokens: number };
}

/** A running fake chat upstream. */
export interface FakeChatUpstream {
  /** `http://127.0.0.1:PORT/v1`. */
  readonly baseURL: string;
  readonly port: number;
  readonly exchanges: FakeChatExchange[];
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1, port 0; requests for `failModels` get HTTP 503. */
export async function startFakeChatUpstream(options: { failModels?: string[] } = {}): Promise<FakeChatUpstream> {
  const exchanges: FakeChatExchange[] = [];
  let sequence = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FakeChatExchange['request'];
      if (options.failModels?.includes(body.model)) {
        exchanges.push({ request: body, status: 503 });
        response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
        return;
      }
      const prompt = body.messages.at(-1)?.content ?? '';
      const answer = `answer to: ${prompt.slice(0, 40)}`;
      const usage = { prompt_tokens: 20 + prompt.split(/\s+/).length, completion_tokens: 10 + answer.split(/\s+/).length, cached_tokens: 4, reasoning_tokens: 3 };
      exchanges.push({ request: body, status: 200, usage });
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-${++sequence}`,
          object: 'chat.completion',
          created: 1_700_000_000,
          model: `${body.model}-2024-07-18`,
          choices: [{ index: 0, message: { role: 'assistant', content: answer, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            total_tokens: usage.prompt_tokens + usage.completion_tokens,
            prompt_tokens_details: { cached_tokens: usage.cached_tokens },
            completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    exchanges,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
