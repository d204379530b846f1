import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * An in-process TCP fault proxy in the spirit of Toxiproxy. It forwards bytes, so it works for
 * HTTP/1.1, HTTP/2 and gRPC alike. Toxics act on data from the moment they are set.
 *
 * Directions follow Toxiproxy: `upstream` is client → target, `downstream` is target → client.
 */

/** Which bytes a toxic acts on. */
export type ProxyDirection = 'upstream' | 'downstream' | 'both';

/** One fault of the proxy. */
export type ProxyToxic =
  /** Holds every chunk `latencyMs` (± `jitterMs`) before forwarding it; default direction `downstream`. */
  | { readonly kind: 'latency'; readonly latencyMs: number; readonly jitterMs?: number; readonly direction?: ProxyDirection }
  /** Forwards at most `bytesPerSecond`; default direction `downstream`. */
  | { readonly kind: 'bandwidth'; readonly bytesPerSecond: number; readonly direction?: ProxyDirection }
  /**
   * Resets connections with a TCP RST, after `timeoutMs` (default 0): open ones (`existing`),
   * ones accepted later (`new`), or both (`all`, the default).
   */
  | { readonly kind: 'reset_peer'; readonly timeoutMs?: number; readonly scope?: 'existing' | 'new' | 'all' }
  /**
   * Stalls: connections stay open but no byte is forwarded either way (a half-open peer). With
   * `timeoutMs` > 0 each connection is closed that long after the stall began for it.
   */
  | { readonly kind: 'timeout'; readonly timeoutMs?: number }
  /** Closes a connection once `bytes` have been forwarded in the direction (default `downstream`). */
  | { readonly kind: 'limit_data'; readonly bytes: number; readonly direction?: ProxyDirection };

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** `host:port` to forward to. */
  readonly target: string;
  /** Interface to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  readonly toxics?: readonly ProxyToxic[];
}

/** Counters of a fault proxy. */
export interface FaultProxyStats {
  connectionsAccepted: number;
  connectionsOpen: number;
  /** Bytes forwarded client → target. */
  bytesUpstream: number;
  /** Bytes forwarded target → client. */
  bytesDownstream: number;
  /** Connections ended by `reset_peer`, `limit_data` or a `timeout` deadline. */
  connectionsCut: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `127.0.0.1:PORT`, to give clients instead of the target. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly stats: Readonly<FaultProxyStats>;
  /** Replaces the toxics. */
  setToxics(toxics: readonly ProxyToxic[]): void;
  /** Removes every toxic; stalled data flows again. */
  clearToxics(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Toxics that act on one direction (`downstream` unless told). */
const DIRECTED_KINDS: ReadonlySet<ProxyToxic['kind']> = new Set(['latency', 'bandwidth', 'limit_data']);
const MAX_QUEUED_BYTES = 1024 * 1024;
const BANDWIDTH_SLICE_MS = 20;

/** Starts a fault proxy in front of `options.target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const [targetHost, targetPort] = splitHostPort(options.target);
  const stats: FaultProxyStats = { connectionsAccepted: 0, connectionsOpen: 0, bytesUpstream: 0, bytesDownstream: 0, connectionsCut: 0 };
  const connections = new Set<ProxiedConnection>();
  const toxicSet = new ToxicSet(options.toxics ?? []);

  // Half-open sockets are allowed so one side's FIN is passed on only after its queued bytes.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    stats.connectionsAccepted++;
    stats.connectionsOpen++;
    const connection = new ProxiedConnection(client, createConnection({ host: targetHost, port: targetPort, allowHalfOpen: true }), toxicSet, stats);
    connections.add(connection);
    connection.closed.then(() => {
      connections.delete(connection);
      stats.connectionsOpen--;
    });
    connection.applyToxics(true);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;

  const replace = (toxics: readonly ProxyToxic[]) => {
    toxicSet.replace(toxics);
    for (const connection of connections) connection.applyToxics(false);
  };
  return {
    address: `${address}:${port}`,
    host: address,
    port,
    stats,
    setToxics: replace,
    clearToxics: () => replace([]),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.destroy('immediate');
      await closed;
    },
  };
}

/** The current toxics; waiters subscribe to hear when they change. */
class ToxicSet {
  #toxics: readonly ProxyToxic[];
  readonly #listeners = new Set<() => void>();

  constructor(toxics: readonly ProxyToxic[]) {
    this.#toxics = toxics;
  }

  replace(toxics: readonly ProxyToxic[]): void {
    this.#toxics = toxics;
    for (const listener of [...this.#listeners]) listener();
  }

  /** Calls `listener` at every change until the returned function is called. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The first toxic of `kind` acting on `direction`. */
  find<K extends ProxyToxic['kind']>(kind: K, direction?: 'upstream' | 'downstream'): Extract<ProxyToxic, { kind: K }> | undefined {
    return this.#toxics.find((toxic): toxic is Extract<ProxyToxic, { kind: K }> => {
      if (toxic.kind !== kind) return false;
      if (direction === undefined || !DIRECTED_KINDS.has(toxic.kind)) return true;
      const applies = ('direction' in toxic ? toxic.direction : undefined) ?? 'downstream';
      return applies === 'both' || applies === direction;
    });
  }
}

/** One client connection and its connection to the target. */
class ProxiedConnection {
  readonly #abort = new AbortController();
  readonly #closed = deferred();
  #stallDeadline: NodeJS.Timeout | undefined;
  #resetTimer: NodeJS.Timeout | undefined;
  #open = 2;

  constructor(
    readonly client: Socket,
    readonly target: Socket,
    readonly toxics: ToxicSet,
    readonly stats: FaultProxyStats,
  ) {
    new DirectionPump(client, target, 'upstream', this);
    new DirectionPump(target, client, 'downstream', this);
    for (const [socket, peer] of [
      [client, target],
      [target, client],
    ] as const) {
      socket.setNoDelay(true);
      socket.on('error', () => {
        // An abrupt end on one side is passed on as a reset to the other.
        this.destroy('reset', peer);
      });
      socket.on('close', () => {
        if (--this.#open === 0) this.destroy('immediate');
      });
    }
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** Applies connection-level toxics (reset, stall deadline); `accepted` is true for a new connection. */
  applyToxics(accepted: boolean): void {
    const reset = this.toxics.find('reset_peer');
    clearTimeout(this.#resetTimer);
    if (reset && (reset.scope ?? 'all') !== (accepted ? 'existing' : 'new')) {
      this.#resetTimer = setTimeout(() => this.cut(true), reset.timeoutMs ?? 0);
    }
    const stall = this.toxics.find('timeout');
    if (!stall) {
      clearTimeout(this.#stallDeadline);
      this.#stallDeadline = undefined;
    } else if (stall.timeoutMs && !this.#stallDeadline) {
      this.#stallDeadline = setTimeout(() => this.cut(false), stall.timeoutMs);
    }
  }

  /** Ends the connection because of a toxic: a TCP RST to the client, or a close after pending bytes are written. */
  cut(reset: boolean): void {
    if (this.#abort.signal.aborted) return;
    this.stats.connectionsCut++;
    this.destroy(reset ? 'reset' : 'graceful');
  }

  /**
   * Closes both sockets: `reset` sends `resetSide` (default the client) a TCP RST, `graceful` lets
   * written bytes drain first, `immediate` drops them.
   */
  destroy(how: 'reset' | 'graceful' | 'immediate', resetSide: Socket = this.client): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    clearTimeout(this.#stallDeadline);
    clearTimeout(this.#resetTimer);
    for (const socket of [this.client, this.target]) {
      if (socket.destroyed) continue;
      if (how === 'reset' && socket === resetSide && socket.readyState === 'open') socket.resetAndDestroy();
      else if (how === 'graceful') socket.destroySoon();
      else socket.destroy();
    }
    this.#closed.resolve();
  }
}

/** Moves bytes one way, applying the toxics in force as each chunk leaves. */
class DirectionPump {
  readonly #queue: { data: Buffer; arrivedAt: number }[] = [];
  #queuedBytes = 0;
  #forwarded = 0;
  #sourceEnded = false;
  #running = false;

  constructor(
    private readonly source: Socket,
    private readonly destination: Socket,
    private readonly direction: 'upstream' | 'downstream',
    private readonly connection: ProxiedConnection,
  ) {
    source.on('data', (data: Buffer) => {
      this.#queue.push({ data, arrivedAt: Date.now() });
      this.#queuedBytes += data.length;
      if (this.#queuedBytes > MAX_QUEUED_BYTES) source.pause();
      this.#kick();
    });
    source.on('end', () => {
      this.#sourceEnded = true;
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    this.#run()
      .catch(() => this.connection.destroy('reset'))
      .finally(() => {
        this.#running = false;
      });
  }

  async #run(): Promise<void> {
    const { toxics, signal } = this.connection;
    // Bounded by the queue: every pass forwards bytes, waits, or returns.
    for (;;) {
      if (signal.aborted) return;
      const head = this.#queue[0];
      if (!head) {
        if (this.#sourceEnded && !this.destination.destroyed) {
          // A stalled peer says nothing, not even goodbye: the FIN waits with the data.
          if (toxics.find('timeout')) {
            await pause(Number.POSITIVE_INFINITY, signal, toxics);
            continue;
          }
          this.destination.end();
        }
        return;
      }
      if (toxics.find('timeout')) {
        await pause(Number.POSITIVE_INFINITY, signal, toxics);
        continue;
      }
      const latency = toxics.find('latency', this.direction);
      if (latency) {
        const jitter = latency.jitterMs ? (Math.random() * 2 - 1) * latency.jitterMs : 0;
        const wait = head.arrivedAt + latency.latencyMs + jitter - Date.now();
        // Wait at most until the toxics change, then look again.
        if (wait > 0 && !(await pause(wait, signal, toxics))) continue;
      }
      let data = head.data;
      const limit = toxics.find('limit_data', this.direction);
      const allowance = limit ? limit.bytes - this.#forwarded : Number.POSITIVE_INFINITY;
      if (allowance <= 0) {
        this.connection.cut(false);
        return;
      }
      if (data.length > allowance) data = data.subarray(0, allowance);
      const bandwidth = toxics.find('bandwidth', this.direction);
      if (bandwidth && bandwidth.bytesPerSecond > 0) {
        const slice = Math.max(1, Math.floor((bandwidth.bytesPerSecond * BANDWIDTH_SLICE_MS) / 1000));
        data = data.subarray(0, slice);
        await this.#forward(data);
        await pause((data.length / bandwidth.bytesPerSecond) * 1000, signal);
      } else {
        await this.#forward(data);
      }
      this.#consume(data.length);
      if (limit && this.#forwarded >= limit.bytes) {
        this.connection.cut(false);
        return;
      }
    }
  }

  async #forward(data: Buffer): Promise<void> {
    if (this.destination.destroyed) return;
    const stats = this.connection.stats;
    if (this.direction === 'upstream') stats.bytesUpstream += data.length;
    else stats.bytesDownstream += data.length;
    this.#forwarded += data.length;
    if (!this.destination.write(data)) {
      const drained = deferred();
      const { signal } = this.connection;
      this.destination.once('drain', drained.resolve);
      signal.addEventListener('abort', drained.resolve, { once: true });
      await drained.promise;
      this.destination.off('drain', drained.resolve);
      signal.removeEventListener('abort', drained.resolve);
    }
  }

  #consume(bytes: number): void {
    const head = this.#queue[0];
    if (!head) return;
    if (bytes >= head.data.length) this.#queue.shift();
    else head.data = head.data.subarray(bytes);
    this.#queuedBytes -= bytes;
    if (this.#queuedBytes <= MAX_QUEUED_BYTES / 2 && this.source.isPaused()) this.source.resume();
  }
}

/**
 * Waits `ms` (forever when `ms` is infinite) unless the connection closes or, when `toxics` is
 * given, the toxics change; true only when the full time passed.
 */
async function pause(ms: number, signal: AbortSignal, toxics?: ToxicSet): Promise<boolean> {
  if (signal.aborted) return false;
  const local = new AbortController();
  const stop = () => local.abort();
  signal.addEventListener('abort', stop, { once: true });
  const unsubscribe = toxics?.onChange(stop);
  try {
    if (Number.isFinite(ms)) {
      await sleep(ms, undefined, { signal: local.signal });
    } else {
      await new Promise<void>((resolve) => local.signal.addEventListener('abort', () => resolve(), { once: true }));
      return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    signal.removeEventListener('abort', stop);
    unsubscribe?.();
  }
}

/** A promise with its resolve function outside (Node 20 lacks `Promise.withResolvers`). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function splitHostPort(target: string): [string, number] {
  const index = target.lastIndexOf(':');
  const port = Number(target.slice(index + 1));
  if (index <= 0 || !Number.isInteger(port) || port <= 0) throw new Error(`fault proxy target "${target}" is not host:port`);
  return [target.slice(0, index).replace(/^\[(.*)\]$/, '$1'), port];
}
