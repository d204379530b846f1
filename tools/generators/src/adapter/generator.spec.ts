import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { formatConformanceTable, runConformance, startAdapterProcess, startFakeOpenAI, writeWorkspaceTsconfig, type AdapterProcess, type FakeUpstream } from '@switchyard/testing';
import { adapterGenerator } from './generator';

const repoRoot = resolve(__dirname, '../../../..');

describe('nx g @switchyard/tools:adapter', () => {
  it('scaffolds a service project with config, translators, client, errors, capabilities and a conformance test', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const root = await adapterGenerator(tree, { name: 'my-llm' });
    expect(root).toBe('services/adapter-my-llm');
    for (const file of ['package.json', 'jest.config.cjs', 'src/main.ts', 'src/config.ts', 'src/capabilities.ts', 'src/errors.ts', 'src/upstream-client.ts',
      'src/provider-service.ts', 'src/my-llm-adapter.ts', 'src/conformance.spec.ts', 'src/translate/request.ts', 'src/translate/response.ts', 'src/translate/stream.ts']) {
      expect(tree.exists(`${root}/${file}`)).toBe(true);
    }
    const manifest = JSON.parse(tree.read(`${root}/package.json`, 'utf-8') ?? '{}') as { name: string; scripts: Record<string, string>; nx: { tags: string[] } };
    expect(manifest).toMatchObject({ name: '@switchyard/adapter-my-llm', scripts: { start: 'tsx src/main.ts' }, nx: { tags: ['type:service'] } });
    expect(tree.read(`${root}/jest.config.cjs`, 'utf-8')).toContain("require('../../jest.preset.cjs')");
    expect(tree.read(`${root}/src/config.ts`, 'utf-8')).toContain("'MY_LLM_API_KEY'");
    expect(tree.read(`${root}/src/my-llm-adapter.ts`, 'utf-8')).toContain('export async function startMyLlmAdapter');
  });

  it('refuses bad names and existing projects', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await expect(adapterGenerator(tree, { name: 'My_LLM' })).rejects.toThrow(/kebab-case/);
    await adapterGenerator(tree, { name: 'acme' });
    await expect(adapterGenerator(tree, { name: 'acme' })).rejects.toThrow(/already exists/);
  });

  describe('the generated service, written to disk', () => {
    const workspace = join(repoRoot, 'tmp', `generator-${process.pid}`);
    const project = join(workspace, 'services', 'adapter-acme');
    let fake: FakeUpstream;
    let adapter: AdapterProcess | undefined;

    beforeAll(async () => {
      const tree = createTreeWithEmptyWorkspace();
      await adapterGenerator(tree, { name: 'acme', model: 'acme-1' });
      for (const change of tree.listChanges()) {
        if (change.type === 'DELETE' || !change.path.startsWith('services/') || !change.content) continue;
        const target = join(workspace, change.path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, change.content);
      }
      fake = await startFakeOpenAI();
    });
    afterAll(async () => {
      await adapter?.stop();
      await fake?.close();
      rmSync(workspace, { recursive: true, force: true });
    });

    it('type-checks', () => {
      const tsconfig = writeWorkspaceTsconfig(repoRoot, workspace);
      const checkConfig = join(workspace, 'tsconfig.check.json');
      writeFileSync(checkConfig, JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, include: ['services/adapter-acme/src/**/*.ts'] }));
      expect(tsconfig).toBe(join(workspace, 'tsconfig.json'));
      const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      try {
        execFileSync(process.execPath, [tsc, '-p', checkConfig], { cwd: workspace, stdio: 'pipe', timeout: 120_000 });
      } catch (error) {
        throw new Error(`tsc failed:\n${String((error as { stdout?: Buffer }).stdout ?? error)}`);
      }
    }, 150_000);

    it('starts as its own process and passes the conformance suite against the fake OpenAI upstream', async () => {
      adapter = await startAdapterProcess({
        entry: join(project, 'src', 'main.ts'),
        tsconfig: writeWorkspaceTsconfig(repoRoot, workspace),
        cwd: project,
        env: { PATH: process.env['PATH'], SWITCHYARD_UPSTREAM__BASE_URL: fake.baseURL, SWITCHYARD_UPSTREAM__TIMEOUT_MS: '10000', ACME_API_KEY: fake.apiKey },
      });
      const report = await runConformance({ target: adapter.address, fake });
      if (!report.passed) console.log(formatConformanceTable(report), adapter.output());
      expect(report.results.filter((r) => r.status === 'fail' || r.status === 'skip').map((r) => `${r.id}: ${r.detail}`)).toEqual([]);
    }, 60_000);
  });
});
