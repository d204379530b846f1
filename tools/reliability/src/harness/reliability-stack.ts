// The system under test as real processes on loopback, with a fault proxy on every hop:
//
//   client ──▶ router(s) ──proxy──▶ adapter-openai ──proxy──▶ fake OpenAI upstream
//                  │      ──proxy──▶ adapter-anthropic ─proxy─▶ fake Anthropic upstream
//                  └──────proxy──▶ billing(s) ──proxy──▶ PostgreSQL
//   (optional) HTTP edge ──▶ router-0
//
// Every service is `node --import tsx services/<name>/src/main.ts` with a config file in a temp
// folder, on a fixed free port (so a killed process comes back where its callers expect it).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKeyStore, type ApiKeyStore } from '@switchyard/grpc-kit';
import { startFakeAnthropic, startFakeOpenAI, startFaultProxy, type FakeResponder, type FakeUpstream, type FaultProxy } from '@switchyard/testing';
import { stringify } from 'yaml';
import { createLedgerReader, type LedgerReader } from './ledger';
import { createScratchDatabase, type ScratchDatabase } from './postgres';
import type { TestPki } from './test-certificates';
import { freePort, startServiceProcess, type ServiceProcess } from './service-process';

/** The provider keys the fake upstreams accept (never a real key). */
export const UPSTREAM_KEYS = { openai: 'sk-reliability-openai-upstream-key-7f3a', anthropic: 'sk-ant-reliability-upstream-key-91c2' } as const;

/**
 * The routing policy of the scenarios: gpt-4.1-nano (cheap, tried first) and claude-haiku-4-5 (the
 * fallback) for every team; team `restricted` may use only gpt-4.1-nano.
 */
export const RELIABILITY_POLICY = `
version: 1
difficultySlope: 3
qualityPriors:
  openai/gpt-4.1-nano: { default: 0.95 }
  anthropic/claude-haiku-4-5: { default: 0.95 }
teams:
  restricted:
    models: [openai/gpt-4.1-nano]
    qualityTarget: 0.5
    allowPinning: true
    reserveOutputTokens: 256
  "*":
    models: [openai/gpt-4.1-nano, anthropic/claude-haiku-4-5]
    qualityTarget: 0.5
    allowPinning: true
    baselineModel: anthropic/claude-haiku-4-5
    reserveOutputTokens: 256
`;

/** What to start. */
export interface ReliabilityStackOptions {
  /** A label for temp folders and process names. */
  label: string;
  /** Team ids: each is bootstrapped in billing and gets a team key (default `['acme']`). */
  teams?: string[];
  /** Router replicas (default 1); router i talks to billing `i % billings`. */
  routers?: number;
  /** Billing replicas over the one database (default 1). */
  billings?: number;
  /** Start the HTTP edge in front of router 0. */
  edge?: boolean;
  /** Which adapters (default both). */
  adapters?: Array<'openai' | 'anthropic'>;
  /** Deep-merged into every router's config (e.g. `{ budget: { failureMode: 'failClosed' } }`). */
  routerConfig?: Record<string, unknown>;
  /** Deep-merged into router i's config after `routerConfig`. */
  routerConfigs?: Array<Record<string, unknown> | undefined>;
  /** Deep-merged into every billing config. */
  billingConfig?: Record<string, unknown>;
  /** Deep-merged into every adapter config. */
  adapterConfig?: Record<string, unknown>;
  /** Routing policy YAML (default {@link RELIABILITY_POLICY}). */
  policy?: string;
  /** Replies of both fake upstreams (default: their deterministic short answers), e.g. to spend the whole max output. */
  upstreamReplies?: FakeResponder;
  /** Extra environment for every service (e.g. OTEL_* for span output). */
  serviceEnv?: Record<string, string>;
  /** Log level of every service (default `info`, so the output scans see the normal logs). */
  logLevel?: string;
  /** Admin URL of the PostgreSQL server to create the database on (default the machine's 127.0.0.1:5432). */
  postgresAdminUrl?: string;
  /**
   * Mutual TLS on every gRPC hop: routers, billing and adapters serve with `pki`'s server certificate and
   * require client certificates from its CA; routers (and the edge) call with its client certificate.
   */
  tls?: TestPki;
}

/** A running stack. */
export interface ReliabilityStack {
  readonly dir: string;
  /** Team keys by team id, plus `admin` (an admin key) and `service` (the router's key for billing and adapters). */
  readonly keys: Record<string, string>;
  /** The key store (hashes only) that every service reads: issue or revoke keys at run time. */
  readonly keyStore: ApiKeyStore;
  readonly upstreams: { openai: FakeUpstream; anthropic: FakeUpstream };
  readonly proxies: {
    /** router → adapter, by adapter. */
    routerToAdapter: Partial<Record<'openai' | 'anthropic', FaultProxy>>;
    /** adapter → upstream, by adapter. */
    adapterToUpstream: Partial<Record<'openai' | 'anthropic', FaultProxy>>;
    /** router i → its billing. */
    routerToBilling: FaultProxy[];
    /** billing i → PostgreSQL. */
    billingToDatabase: FaultProxy[];
  };
  readonly routers: ServiceProcess[];
  readonly billings: ServiceProcess[];
  readonly adapters: Partial<Record<'openai' | 'anthropic', ServiceProcess>>;
  readonly edge?: ServiceProcess;
  readonly database: ScratchDatabase;
  /** Reads the ledger straight from PostgreSQL. */
  readonly ledger: LedgerReader;
  /** Every process of the stack. */
  processes(): ServiceProcess[];
  /** Stops everything (SIGTERM, then SIGKILL) and deletes the folder and the database. */
  close(): Promise<void>;
}

type PlainObject = Record<string, unknown>;

/** Merges `extra` into `base` (objects recursively; anything else replaces). */
export function deepMerge(base: PlainObject, extra: PlainObject | undefined): PlainObject {
  if (!extra) return base;
  const out: PlainObject = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)
        ? deepMerge(current as PlainObject, value as PlainObject)
        : value;
  }
  return out;
}

/** Starts the stack; on failure everything already started is stopped. */
export async function startReliabilityStack(options: ReliabilityStackOptions): Promise<ReliabilityStack> {
  const dir = mkdtempSync(join(tmpdir(), `reliability-${options.label}-`));
  const configDir = join(dir, 'config');
  mkdirSync(configDir);
  const teams = options.teams ?? ['acme'];
  const routerCount = options.routers ?? 1;
  const billingCount = options.billings ?? 1;
  const adapterKinds = options.adapters ?? ['openai', 'anthropic'];
  const logLevel = options.logLevel ?? 'info';
  const pki = options.tls;
  const serverTls = pki ? { tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert } } : {};
  const clientTls = pki ? { tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey } } : {};

  const keyFile = join(dir, 'api-keys.json');
  const keyStore = createApiKeyStore({ file: keyFile, reloadIntervalMs: 0 });
  const keys: Record<string, string> = {};
  for (const team of teams) keys[team] = keyStore.issue(team, 'team', `reliability: team ${team}`).secret;
  keys.admin = keyStore.issue('ops', 'admin', 'reliability: admin').secret;
  keys.service = keyStore.issue('switchyard-router', 'service', 'reliability: router → billing, adapters').secret;
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, options.policy ?? RELIABILITY_POLICY);

  const started: ServiceProcess[] = [];
  const proxiesToClose: FaultProxy[] = [];
  const upstreams = {
    openai: await startFakeOpenAI({ apiKey: UPSTREAM_KEYS.openai, respond: options.upstreamReplies }),
    anthropic: await startFakeAnthropic({ apiKey: UPSTREAM_KEYS.anthropic, respond: options.upstreamReplies }),
  };
  const database = await createScratchDatabase(options.postgresAdminUrl);
  const ledger = createLedgerReader(database.url);

  const proxy = async (target: string) => {
    const p = await startFaultProxy({ target });
    proxiesToClose.push(p);
    return p;
  };
  const writeConfig = (name: string, config: PlainObject) => {
    const file = join(configDir, `${name}.yaml`);
    writeFileSync(file, stringify(config), { mode: 0o600 });
    return file;
  };
  const start = async (name: string, entry: string, config: PlainObject, env: Record<string, string> = {}) => {
    const file = writeConfig(name, config);
    const process = await startServiceProcess({
      name,
      entry,
      env: { SWITCHYARD_CONFIG_FILE: file, SWITCHYARD_ROUTER_CONFIG: file, SWITCHYARD_HTTP_EDGE_CONFIG: file, ...options.serviceEnv, ...env },
    });
    started.push(process);
    return process;
  };

  const close = async () => {
    // RELIABILITY_DUMP=1 prints the tail of every process's output (for a failing CI run).
    if (process.env.RELIABILITY_DUMP) for (const p of started) process.stdout.write(`--- ${p.name} ---\n${p.output.slice(-80).join('\n')}\n`);
    // Edge and routers first (a router flushes its outbox on SIGTERM), billing after them.
    const order = [started.filter((p) => p.name === 'http-edge'), started.filter((p) => p.name.startsWith('router')), started];
    for (const group of order) await Promise.all(group.map((p) => p.stop(10_000)));
    await Promise.all(proxiesToClose.map((p) => p.close()));
    await Promise.all([upstreams.openai.close(), upstreams.anthropic.close()]);
    await ledger.close();
    await database.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const upstreamProxies = { openai: await proxy(`127.0.0.1:${upstreams.openai.port}`), anthropic: await proxy(`127.0.0.1:${upstreams.anthropic.port}`) };
    const dbUrl = new URL(database.url);
    const billingToDatabase: FaultProxy[] = [];
    for (let i = 0; i < billingCount; i++) billingToDatabase.push(await proxy(`${dbUrl.hostname}:${dbUrl.port || 5432}`));

    const adapterPorts = Object.fromEntries(await Promise.all(adapterKinds.map(async (kind) => [kind, await freePort()] as const))) as Record<string, number>;
    const billingPorts = await Promise.all(Array.from({ length: billingCount }, () => freePort()));
    const adapterConfig = (kind: 'openai' | 'anthropic'): PlainObject =>
      deepMerge(
        {
          listen: `127.0.0.1:${adapterPorts[kind]}`,
          deployment: `${kind}-reliability`,
          upstream: {
            baseUrl: kind === 'openai' ? `http://${upstreamProxies.openai.address}/v1` : `http://${upstreamProxies.anthropic.address}`,
            apiKeyEnv: kind === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY',
            timeoutMs: 30_000,
          },
          models: kind === 'openai' ? [{ id: 'gpt-4.1-nano' }] : [{ id: 'claude-haiku-4-5' }],
          auth: { apiKeysFile: keyFile },
          drainGraceMs: 5000,
          logLevel,
          ...serverTls,
        },
        options.adapterConfig,
      );
    const billingConfig = (i: number): PlainObject => {
      const url = new URL(database.url);
      url.host = billingToDatabase[i]!.address;
      return deepMerge(
        {
          listen: `127.0.0.1:${billingPorts[i]}`,
          database: { url: url.toString(), maxConnections: 8 },
          auth: { apiKeysFile: keyFile },
          bootstrapTeams: teams.map((teamId) => ({ teamId, displayName: teamId, baselineModel: 'anthropic/claude-haiku-4-5' })),
          drainGraceMs: 5000,
          logLevel,
          ...serverTls,
        },
        options.billingConfig,
      );
    };

    // Phase 1: billing replicas (the migrations' advisory lock orders them) and the adapters.
    const [billings, adapterProcesses] = await Promise.all([
      Promise.all(Array.from({ length: billingCount }, (_, i) => start(`billing-${i}`, 'services/billing/src/main.ts', billingConfig(i)))),
      Promise.all(
        adapterKinds.map((kind) =>
          start(`adapter-${kind}`, `services/adapter-${kind}/src/main.ts`, adapterConfig(kind), {
            [kind === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY']: UPSTREAM_KEYS[kind],
          }),
        ),
      ),
    ]);
    const adapters: Partial<Record<'openai' | 'anthropic', ServiceProcess>> = {};
    const routerToAdapter: Partial<Record<'openai' | 'anthropic', FaultProxy>> = {};
    for (const [i, kind] of adapterKinds.entries()) {
      adapters[kind] = adapterProcesses[i];
      routerToAdapter[kind] = await proxy(adapterProcesses[i]!.address);
    }
    const routerToBilling: FaultProxy[] = [];
    for (let i = 0; i < routerCount; i++) routerToBilling.push(await proxy(billings[i % billingCount]!.address));

    // Phase 2: the routers (they read the adapters' model lists at start) and the edge.
    const routerPorts = await Promise.all(Array.from({ length: routerCount }, () => freePort()));
    const routerConfig = (i: number): PlainObject =>
      deepMerge(
        {
          listen: `127.0.0.1:${routerPorts[i]}`,
          keyFile,
          policyFile,
          adapters: adapterKinds.map((kind) => ({ name: `adapter-${kind}`, address: routerToAdapter[kind]!.address, apiKey: keys.service, ...clientTls })),
          billing: { address: routerToBilling[i]!.address, apiKey: keys.service, reserveTimeoutMs: 1000, priceRefreshMs: 0, ...clientTls },
          outbox: { dir: join(dir, `router-${i}-outbox`), lingerMs: 5, retryInitialMs: 50, retryMaxMs: 500, deliveryTimeoutMs: 3000 },
          budget: { failureMode: 'failOpen', breakerThreshold: 5, breakerHalfOpenMs: 1000 },
          circuit: { consecutiveFailures: 5, halfOpenAfterMs: 1000 },
          catalog: { refreshMs: 2000, timeoutMs: 2000 },
          classifier: { kind: 'heuristic' },
          logLevel,
          ...serverTls,
        },
        deepMerge(options.routerConfig ?? {}, options.routerConfigs?.[i]),
      );
    const [routers, edge] = await Promise.all([
      Promise.all(Array.from({ length: routerCount }, (_, i) => start(`router-${i}`, 'services/router/src/main.ts', routerConfig(i)))),
      options.edge
        ? start('http-edge', 'services/http-edge/src/main.ts', { listen: '127.0.0.1:0', router: { address: `127.0.0.1:${routerPorts[0]}`, ...clientTls }, logLevel })
        : Promise.resolve(undefined),
    ]);

    return {
      dir,
      keys,
      keyStore,
      upstreams,
      proxies: { routerToAdapter, adapterToUpstream: Object.fromEntries(adapterKinds.map((k) => [k, upstreamProxies[k]])), routerToBilling, billingToDatabase },
      routers,
      billings,
      adapters,
      edge,
      database,
      ledger,
      processes: () => [...started],
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
