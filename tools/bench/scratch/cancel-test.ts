import * as grpc from '@grpc/grpc-js';
const server = new grpc.Server();
let cancelled = 0;
const def = { echo: { path: '/t.T/Echo', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } };
server.addService(def as any, { echo: (call: any, cb: any) => { call.on('cancelled', () => cancelled++); cb(null, Buffer.from('x')); } });
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), async (e, port) => {
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  for (let i = 0; i < 20; i++) await new Promise((r) => c.makeUnaryRequest('/t.T/Echo', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('a'), r));
  await new Promise((r) => setTimeout(r, 200));
  console.log('cancelled events for 20 ok calls:', cancelled);
  c.close(); server.forceShutdown();
});
