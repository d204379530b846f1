import http from 'node:http';
import { resolve } from 'node:path';
import OpenAI from 'openai';
import { startBenchUpstream } from '../src/bench-stack';
import { openAIChatTarget, openAIStreamTarget } from '../src/http-load';
import { runLoad } from '../src/load-generator';
import { processCpuMs, selfCpuMs } from '../src/process-stats';

class LiteResponse {
  readonly ok: boolean; readonly bodyUsed = false; readonly redirected = false; readonly type = 'basic';
  constructor(readonly status: number, readonly statusText: string, readonly headers: Headers, private readonly bytes: Buffer, readonly url: string) { this.ok = status >= 200 && status < 300; }
  get body() { const bytes = this.bytes; return new ReadableStream({ start(c) { c.enqueue(new Uint8Array(bytes)); c.close(); } }); }
  async json() { return JSON.parse(this.bytes.toString('utf8')); }
  async text() { return this.bytes.toString('utf8'); }
  async arrayBuffer() { return this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.bytes.byteLength); }
  clone() { return new LiteResponse(this.status, this.statusText, this.headers, this.bytes, this.url); }
}
let LITE = false;
function nodeFetch(): typeof fetch {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  return ((input: string | URL | Request, init: RequestInit = {}) =>
    new Promise<Response>((resolvePromise, reject) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => (headers[k] = v));
      const req = http.request({ agent, method: init.method ?? 'GET', hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers }, (res) => {
        const responseHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) responseHeaders.set(k, Array.isArray(v) ? v.join(', ') : v);
        const sse = (res.headers['content-type'] ?? '').includes('text/event-stream');
        if (sse) {
          const body = new ReadableStream<Uint8Array>({
            start(controller) {
              res.on('data', (chunk: Buffer) => controller.enqueue(chunk));
              res.on('end', () => controller.close());
              res.on('error', (e) => controller.error(e));
            },
            cancel() { res.destroy(); },
          });
          resolvePromise(new Response(body, { status: res.statusCode, headers: responseHeaders }));
        } else {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => { const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks); resolvePromise(LITE ? (new LiteResponse(res.statusCode!, res.statusMessage ?? '', responseHeaders, bytes, url.href) as unknown as Response) : new Response(bytes, { status: res.statusCode, headers: responseHeaders })); });
          res.on('error', reject);
        }
      });
      req.on('error', reject);
      init.signal?.addEventListener('abort', () => req.destroy(new DOMException('This operation was aborted', 'AbortError')), { once: true });
      req.end(init.body as string | undefined);
    })) as typeof fetch;
}

async function main() {
  const up = await startBenchUpstream(resolve(__dirname, '../../..'));
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'What is the capital of Portugal?' }] };
  const variants = {
    'sdk+undici-fetch': new OpenAI({ baseURL: up.baseURL, apiKey: up.apiKey, maxRetries: 0, logLevel: 'off' }),
    'sdk+node-http': new OpenAI({ baseURL: up.baseURL, apiKey: up.apiKey, maxRetries: 0, logLevel: 'off', fetch: nodeFetch() }),
    'sdk+node-http-lite': new OpenAI({ baseURL: up.baseURL, apiKey: up.apiKey, maxRetries: 0, logLevel: 'off', fetch: ((a: any, b: any) => { LITE = true; return nodeFetch2(a, b); }) as typeof fetch }),
  };
  const nodeFetch2 = nodeFetch();
  for (let round = 0; round < 3; round++) for (const [name, sdk] of Object.entries(variants)) for (const [kind, target] of [['unary', openAIChatTarget(sdk, body)], ['stream', openAIStreamTarget(sdk, body)]] as const) {
    if (kind === 'stream') continue; LITE = name.endsWith('lite');
    const b = processCpuMs(up.pid); const s = selfCpuMs();
    const r = await runLoad({ mode: 'closed', concurrency: 8, durationMs: 4000, maxRequests: 3000, target });
    console.log(`${name} ${kind} ok=${r.ok} err=${r.errors} ${JSON.stringify(r.sampleErrors)} rps=${r.achievedRate.toFixed(0)} p50=${r.latency.p50.toFixed(2)} client cpu/req=${((selfCpuMs() - s) / r.ok).toFixed(3)} fake=${((processCpuMs(up.pid) - b) / r.ok).toFixed(3)}`);
  }
  await up.close();
}
main();
