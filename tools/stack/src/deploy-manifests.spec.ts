import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

// The deployment files cannot be applied here (no cluster, no Docker engine); this checks what can
// be checked offline: they parse, every workload has a matching Service, probes and resources, and
// every service and config file they name exists.
const repoRoot = resolve(__dirname, '../../..');
const k8sDir = join(repoRoot, 'deploy/k8s');

type Manifest = { kind: string; metadata: { name: string }; spec?: Record<string, any>; data?: Record<string, string> };

function manifests(): Manifest[] {
  return readdirSync(k8sDir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(k8sDir, f), 'utf8')).map((doc) => {
        expect(doc.errors).toEqual([]);
        return doc.toJS() as Manifest;
      }),
    )
    .filter(Boolean);
}

describe('deploy/k8s', () => {
  const all = manifests();
  const workloads = all.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
  const services = all.filter((m) => m.kind === 'Service');
  const configMaps = new Map(all.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name, m.data ?? {}]));

  it('lists every manifest in the kustomization', () => {
    const kustomization = parseAllDocuments(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
    for (const file of kustomization.resources) expect(existsSync(join(k8sDir, file))).toBe(true);
  });

  it.each(['router', 'billing', 'evaluator', 'adapter-openai', 'adapter-anthropic', 'adapter-vllm-qwen', 'http-edge'])('%s has a workload, a Service, probes and resources', (name) => {
    const workload = workloads.find((w) => w.metadata.name === name)!;
    expect(workload).toBeDefined();
    const service = services.find((s) => s.metadata.name === name)!;
    expect(service.spec!.selector).toEqual(workload.spec!.selector.matchLabels);
    const container = workload.spec!.template.spec.containers[0];
    expect(container.readinessProbe).toBeDefined();
    expect(container.livenessProbe).toBeDefined();
    expect(container.resources.requests.cpu).toBeTruthy();
    expect(container.resources.requests.memory).toBeTruthy();
    const serviceName = container.env.find((e: { name: string }) => e.name === 'SWITCHYARD_SERVICE').value;
    expect(existsSync(join(repoRoot, 'services', serviceName, 'src/main.ts'))).toBe(true);
    if (name !== 'http-edge') {
      expect(container.readinessProbe.grpc.port).toBe(container.ports[0].containerPort);
      expect(service.spec!.clusterIP).toBe('None'); // headless: gRPC clients balance round-robin over pods
    }
    for (const volume of workload.spec!.template.spec.volumes.filter((v: { configMap?: unknown }) => v.configMap)) {
      expect(configMaps.has(volume.configMap.name)).toBe(true);
    }
    const configFile = container.env.find((e: { name: string }) => e.name === 'SWITCHYARD_CONFIG_FILE')?.value as string | undefined;
    if (configFile) {
      const volume = workload.spec!.template.spec.volumes.find((v: { name: string }) => v.name === 'config');
      expect(Object.keys(configMaps.get(volume.configMap.name)!)).toContain(configFile.split('/').pop());
    }
  });

  it('keeps the router outbox on a persistent volume', () => {
    const router = workloads.find((w) => w.metadata.name === 'router')!;
    expect(router.kind).toBe('StatefulSet');
    expect(router.spec!.volumeClaimTemplates[0].metadata.name).toBe('outbox');
  });
});

describe('deploy/compose', () => {
  it('parses and names a config file that exists for every Switchyard service', () => {
    const compose = parseAllDocuments(readFileSync(join(repoRoot, 'deploy/compose/compose.yaml'), 'utf8'))[0]!.toJS({ maxAliasCount: 100 }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    for (const [name, service] of Object.entries(compose.services)) {
      const env = service.environment ?? {};
      if (!env.SWITCHYARD_SERVICE) continue;
      expect(existsSync(join(repoRoot, 'services', env.SWITCHYARD_SERVICE, 'src/main.ts'))).toBe(true);
      const file = env.SWITCHYARD_CONFIG_FILE ?? env.SWITCHYARD_HTTP_EDGE_CONFIG;
      expect(existsSync(join(repoRoot, 'deploy/compose/config', file!.split('/').pop()!))).toBe(true);
      expect(name).toBeTruthy();
    }
  });
});
