// Test support for this library's own specs: a loopback TCP relay in front of PostgreSQL that can
// reset every connection through it. (@switchyard/testing has the full fault proxy, but a type:lib
// project may not depend on type:testing.)
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/** A relay whose connections a test can cut. */
export interface ConnectionCutter {
  /** `127.0.0.1:PORT`, to put in a connection string instead of the server's address. */
  readonly address: string;
  /** Resets every open connection with a TCP RST (the client sees ECONNRESET); new ones still pass. */
  resetAll(): void;
  /** Resets every connection and refuses new ones: the server is gone. */
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 forwarding to `target` (`host:port`). */
export async function startConnectionCutter(target: string): Promise<ConnectionCutter> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const open = new Set<[client: Socket, server: Socket]>();
  const relay = createServer((client) => {
    const server = createConnection({ host, port });
    const pair: [Socket, Socket] = [client, server];
    open.add(pair);
    const end = () => {
      open.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', end).on('close', end).pipe(server);
    server.on('error', end).on('close', end).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const resetAll = () => {
    for (const [client, server] of [...open]) {
      client.resetAndDestroy();
      server.destroy();
    }
  };
  return {
    address: `127.0.0.1:${(relay.address() as AddressInfo).port}`,
    resetAll,
    close: () =>
      new Promise<void>((resolve) => {
        relay.close(() => resolve());
        resetAll();
      }),
  };
}
