import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { adapterPlans, billingPlan, corePlans, evaluatorPlan, stackPolicy, toYaml, type ServicePlan } from './stack-config';
import { startServiceProcess, type ServiceProcess } from './service-process';
import { ensureStackKeys } from './stack-keys';
import { startStackUpstreams } from './simulated-upstreams';

/** Options for runStack. */
export interface StackOptions {
  repoRoot: string;
  stateDir: string;
  routerListen: string;
  httpListen: string;
  /** The launcher's environment: provider keys and OTEL_* settings are passed on. */
  env: Record<string, string | undefined>;
  /** Progress lines for the person watching. */
  log: (line: string) => void;
  /** Every line a service prints (verbose mode). */
  serviceOutput?: (name: string, line: string) => void;
}

/** A running stack. */
export interface RunningStack {
  /** gRPC addresses by service name (for health checks). */
  grpcAddresses: Record<string, string>;
  /** The content of `.switchyard/stack.json`. */
  stackFile: Record<string, unknown>;
  /** The text printed when the stack is ready. */
  banner(): string;
  /** Stops every child (edge and router first, billing last) and the simulated upstreams. */
  stop(): Promise<void>;
}

/** Environment a child inherits: nothing Switchyard-specific, so each child sees only its own config. */
function childEnv(env: Record<string, string | undefined>, name: string, configFile: string, extra: Record<string, string> = {}) {
  const inherited = Object.fromEntries(
    Object.entries(env).filter(([key]) => !key.startsWith('SWITCHYARD_') && !['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'DATABASE_URL'].includes(key)),
  );
  // With OTEL_METRICS_EXPORTER=prometheus every child serves its own /metrics, so each gets its own port:
  // the base (OTEL_EXPORTER_PROMETHEUS_PORT, else 9464) plus the child's place below; base 0 (any free
  // port) stays 0, as does a child not listed here.
  const scrapeOrder = ['router', 'http-edge', 'billing', 'evaluator', 'adapter-openai', 'adapter-anthropic', 'adapter-vllm-qwen', 'adapter-in-house', 'adapter-deepinfra'];
  const prometheus = (env.OTEL_METRICS_EXPORTER ?? '').split(',').some((exporter) => exporter.trim() === 'prometheus');
  const basePort = Number(env.OTEL_EXPORTER_PROMETHEUS_PORT || 9464);
  const place = scrapeOrder.indexOf(name);
  const prometheusPort = Number.isInteger(basePort) && basePort > 0 && place >= 0 ? basePort + place : 0;
  return {
    ...inherited,
    OTEL_SERVICE_NAME: env.OTEL_SERVICE_NAME ? `${env.OTEL_SERVICE_NAME}-${name}` : `switchyard-${name}`,
    ...(prometheus ? { OTEL_EXPORTER_PROMETHEUS_PORT: String(prometheusPort) } : {}),
    SWITCHYARD_CONFIG_FILE: configFile,
    SWITCHYARD_ROUTER_CONFIG: configFile,
    SWITCHYARD_HTTP_EDGE_CONFIG: configFile,
    ...extra,
  };
}

/** Starts upstreams, then billing and the adapters, the evaluator, the router and the HTTP edge. */
export async function runStack(options: StackOptions): Promise<RunningStack> {
  const { repoRoot, stateDir, env, log } = options;
  const configDir = join(stateDir, 'config');
  mkdirSync(configDir, { recursive: true });
  const keys = ensureStackKeys(join(stateDir, 'api-keys.json'), join(stateDir, 'secrets.json'));
  const layout = { repoRoot, stateDir, routerListen: options.routerListen, httpListen: options.httpListen };
  const upstreams = await startStackUpstreams({ env, routingDataDir: join(repoRoot, '..', 'shared', 'data', 'routing') });
  writeFileSync(join(configDir, 'policy.yaml'), toYaml(stackPolicy(repoRoot)));

  const children: ServiceProcess[] = [];
  let stopping = false;
  const start = async (plan: ServicePlan) => {
    const configFile = join(configDir, `${plan.name}.yaml`);
    writeFileSync(configFile, toYaml(plan.config), { mode: 0o600 });
    const child = await startServiceProcess({
      name: plan.name,
      // `node --import tsx` is one process, so a SIGKILL from the supervisor reaches the service itself.
      command: [process.execPath, '--require', join(__dirname, 'exit-with-launcher.cjs'), '--import', 'tsx', plan.entry],
      cwd: repoRoot,
      env: childEnv(env, plan.name, configFile, plan.env),
      onOutput: options.serviceOutput,
      shouldRestart: () => !stopping,
      onCrash: (name, exit, delay) => log(`! ${name} exited (${exit.signal ?? `code ${exit.code}`}); restarting in ${delay} ms`),
    });
    children.push(child);
    log(`  ${plan.name.padEnd(18)} ${child.address}`);
    return child;
  };
  const stop = async () => {
    stopping = true;
    for (const group of [['http-edge'], ['router'], ['evaluator']]) {
      await Promise.all(children.filter((c) => group.includes(c.name)).map((c) => c.stop()));
    }
    await Promise.all(children.filter((c) => c.name !== 'billing').map((c) => c.stop()));
    await Promise.all(children.map((c) => c.stop()));
    await upstreams.close();
  };

  try {
    log('starting Switchyard (one process per service)...');
    const [billing, ...adapters] = await Promise.all([start(billingPlan(layout)), ...adapterPlans(layout, upstreams).map(start)]);
    const evaluator = await start(evaluatorPlan(layout, keys));
    const core = corePlans(layout, keys, adapters.map((a) => ({ name: a.name, address: a.address })), billing!.address, evaluator.address);
    const router = await start(core.router);
    const edge = await start(core.httpEdge);

    const adapterAddresses = Object.fromEntries(adapters.map((a) => [a.name.replace(/^adapter-/, ''), a.address]));
    const stackFile = {
      router: router.address,
      billing: billing!.address,
      evaluator: evaluator.address,
      http: edge.address,
      adapters: adapterAddresses,
      demoApiKey: keys.demo,
      adminApiKey: keys.admin,
      processes: Object.fromEntries(children.map((c) => [c.name, c.pid])),
      upstreams: {
        openai: upstreams.openai.simulated ? 'simulated' : 'real',
        anthropic: upstreams.anthropic.simulated ? 'simulated' : 'real',
        openModel: upstreams.openModel.simulated ? 'simulated' : 'real',
        inHouse: 'simulated',
      },
    };
    const grpcAddresses = { router: router.address, billing: billing!.address, evaluator: evaluator.address, ...adapterAddresses };
    const upstreamLine = (label: string, u: { simulated: boolean; baseUrl: string }) =>
      `  ${label.padEnd(28)} ${u.simulated ? 'SIMULATED (fake upstream on loopback)' : `REAL (${u.baseUrl})`}`;
    const banner = () =>
      [
        '',
        'Switchyard is running.',
        '',
        `  router (gRPC)      ${router.address}`,
        `  HTTP edge          ${edge.address}   (OpenAI/Anthropic-compatible: baseURL ${edge.address}/v1)`,
        `  billing            ${billing!.address}`,
        `  evaluator          ${evaluator.address}`,
        ...Object.entries(adapterAddresses).map(([name, address]) => `  adapter ${name.padEnd(10)} ${address}`),
        '',
        'Upstreams:',
        upstreamLine('openai (strong closed)', upstreams.openai),
        upstreamLine('anthropic (strong closed)', upstreams.anthropic),
        upstreamLine('vllm-qwen (cheap open)', upstreams.openModel),
        upstreamLine('in-house (support model)', upstreams.inHouse),
        upstreams.replay ? '  GSM8K prompts replay recorded real answers of gpt-4-1106-preview and mixtral-8x7b-instruct.' : '',
        '',
        `Demo API key (team "demo"): ${keys.demo}`,
        `Endpoints and keys: ${stackFileLabel(repoRoot, stateDir)} (the CLI reads it).`,
        '',
        'Try:',
        '  npx switchyard chat "What is the capital of Portugal?"',
        '  npx switchyard explain "Prove that the square root of 2 is irrational"',
        '  npx switchyard demo --requests 200 && npx switchyard spend --by model',
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n');
    return { grpcAddresses, stackFile, banner, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Where stack.json is, as the banner shows it: relative to the repository when inside it. */
function stackFileLabel(repoRoot: string, stateDir: string): string {
  const file = join(stateDir, 'stack.json');
  const shown = relative(repoRoot, file);
  if (shown.startsWith('..') || isAbsolute(shown)) return `${file} (set SWITCHYARD_STACK_DIR=${stateDir} for the CLI)`;
  return shown;
}
