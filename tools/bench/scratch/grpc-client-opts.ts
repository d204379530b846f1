import * as grpc from '@grpc/grpc-js';
import { fork } from 'node:child_process';
import serviceConfig from '../../../proto/switchyard/service_config.json';
import { runLoad } from '../src/load-generator';
import { selfCpuMs, processCpuMs } from '../src/process-stats';

if (process.argv[2] === 'server') {
  const server = new grpc.Server();
  const def = { echo: { path: '/switchyard.billing.v1.BillingService/ReserveBudget', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b },
    gen: { path: '/switchyard.provider.v1.ProviderService/Generate', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } };
  server.addService(def as any, { echo: (call: any, cb: any) => cb(null, call.request), gen: (call: any, cb: any) => cb(null, call.request) });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) => process.send!({ port }));
} else {
  const child = fork(__filename, ['server'], { execArgv: ['--require', 'tsx/cjs'] });
  child.once('message', async ({ port }: any) => {
    const id = (b: Buffer) => b;
    const variants: Record<string, grpc.ChannelOptions> = {
      'service config (retries)': { 'grpc.service_config': JSON.stringify(serviceConfig) },
      'service config, enable_retries=0': { 'grpc.service_config': JSON.stringify(serviceConfig), 'grpc.enable_retries': 0 },
      'no service config': {},
    };
    for (let round = 0; round < 2; round++) for (const [name, opts] of Object.entries(variants)) for (const path of ['/switchyard.billing.v1.BillingService/ReserveBudget', '/switchyard.provider.v1.ProviderService/Generate']) {
      const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), opts);
      const md = new grpc.Metadata(); md.set('authorization', 'Bearer x');
      const req = Buffer.alloc(300, 1);
      const target = () => new Promise<any>((res) => c.makeUnaryRequest(path, id, id, req, md, { deadline: Date.now() + 5000 }, (e) => res(e ? { ok: false, status: String(e.code) } : { ok: true, status: 'OK' })));
      await runLoad({ mode: 'closed', concurrency: 8, durationMs: 1000, maxRequests: 2000, target });
      const s = selfCpuMs(); const sv = processCpuMs(child.pid);
      const r = await runLoad({ mode: 'closed', concurrency: 8, durationMs: 3000, maxRequests: 20000, target });
      console.log(`${name.padEnd(34)} ${path.split('/')[2]!.padEnd(14)} rps=${r.achievedRate.toFixed(0)} client µs/call=${((selfCpuMs() - s) * 1000 / r.ok).toFixed(0)} server µs/call=${((processCpuMs(child.pid) - sv) * 1000 / r.ok).toFixed(0)} err=${r.errors}`);
      c.close();
    }
    child.kill();
  });
}
