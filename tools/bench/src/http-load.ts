/**
 * HTTP load for the benchmarks: targets that call through the official `openai` SDK (what a
 * customer of an OpenAI-compatible gateway runs) for the load generator, and autocannon for raw
 * HTTP capacity, where the client must cost as little CPU as possible. Both check the status of
 * every reply (2xx is success) and report in the load generator's shape.
 */
import autocannon from 'autocannon';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { CallOutcome, LoadReport, LoadTarget } from './load-generator';

/** The outcome of a failed SDK call: the HTTP status when the server answered, else a client error. */
export function httpFailure(error: unknown): CallOutcome {
  if (error instanceof OpenAI.APIError && error.status !== undefined) return { ok: false, status: `HTTP ${error.status}`, error: error.message };
  return { ok: false, status: 'CLIENT_ERROR', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** A Chat Completions call through the SDK; `ok` when it resolves (the SDK throws for every non-2xx). */
export function openAIChatTarget(client: OpenAI, body: ChatCompletionCreateParamsNonStreaming): LoadTarget {
  return () =>
    client.chat.completions.create(body).then(
      (completion) => (completion.choices.length > 0 ? { ok: true, status: 'OK' } : { ok: false, status: 'EMPTY_REPLY' }),
      (error: unknown) => httpFailure(error),
    );
}

/** A streamed Chat Completions call read to the end; `firstDeltaMs` is the time to the first content delta. */
export function openAIStreamTarget(client: OpenAI, body: Omit<ChatCompletionCreateParamsNonStreaming, 'stream'>): LoadTarget {
  return async () => {
    const t0 = performance.now();
    let firstDeltaMs: number | undefined;
    try {
      const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) if (firstDeltaMs === undefined && chunk.choices[0]?.delta.content) firstDeltaMs = performance.now() - t0;
    } catch (error) {
      return httpFailure(error);
    }
    return firstDeltaMs === undefined ? { ok: false, status: 'NO_DELTA', error: 'the stream ended without a delta' } : { ok: true, status: 'OK', firstDeltaMs };
  };
}

/** Options for runAutocannon. */
export interface AutocannonLoadOptions {
  url: string;
  headers?: Record<string, string>;
  /** JSON body, sent with POST. */
  body: unknown;
  /** Connections, each with one request in flight. */
  connections: number;
  durationMs: number;
  maxRequests: number;
  /** Fixed total rate, req/s (autocannon spreads it over the connections); default: as fast as replies come. */
  rate?: number;
}

/** Runs autocannon (bounded by duration and a request cap) and reports in the load generator's shape. */
export async function runAutocannon(options: AutocannonLoadOptions): Promise<LoadReport> {
  const instance = autocannon({
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(options.body),
    connections: options.connections,
    duration: options.durationMs / 1000,
    amount: options.maxRequests,
    timeout: 10,
    ...(options.rate ? { overallRate: options.rate } : {}),
  });
  // `amount` overrides `duration` in autocannon: stop it ourselves at the duration.
  const stop = setTimeout(() => instance.stop(), options.durationMs + 1000);
  const result = await instance;
  clearTimeout(stop);
  const statuses: Record<string, number> = {};
  let ok = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    const n = Number(count);
    if (code.startsWith('2')) ok += n;
    statuses[code.startsWith('2') ? 'OK' : `HTTP ${code}`] = (statuses[code.startsWith('2') ? 'OK' : `HTTP ${code}`] ?? 0) + n;
  }
  if (result.errors > 0) statuses.CONNECTION_ERROR = result.errors;
  const errors = result.non2xx + result.errors;
  const latency = result.latency;
  return {
    mode: options.rate ? 'open' : 'closed',
    ...(options.rate ? { offeredRate: options.rate } : { concurrency: options.connections }),
    sent: ok + errors,
    ok,
    errors,
    dropped: 0,
    statuses,
    sampleErrors: [],
    seconds: result.duration,
    achievedRate: result.duration > 0 ? ok / result.duration : 0,
    latency: { count: ok, mean: latency.average, p50: latency.p50, p90: latency.p90, p99: latency.p99, p999: latency.p99_9, max: latency.max },
  };
}
