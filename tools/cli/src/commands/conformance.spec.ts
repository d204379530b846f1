import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freeLoopbackPort, startAdapterProcess, writeWorkspaceTsconfig, type AdapterProcess } from '@switchyard/testing';
import { runConformanceCommand } from './conformance';

const repoRoot = resolve(__dirname, '../../../..');

// End to end across processes: the real adapter-openai process, the CLI command in this one with
// the fake upstream it starts on the port the adapter was configured with.
describe('switchyard conformance', () => {
  const dir = join(repoRoot, 'tmp', `cli-conformance-${process.pid}`);
  let adapter: AdapterProcess;
  let fakePort: number;

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    fakePort = await freeLoopbackPort();
    adapter = await startAdapterProcess({
      entry: join(repoRoot, 'services/adapter-openai/src/main.ts'),
      tsconfig: writeWorkspaceTsconfig(repoRoot, dir),
      cwd: repoRoot,
      env: {
        PATH: process.env['PATH'],
        SWITCHYARD_UPSTREAM__BASE_URL: `http://127.0.0.1:${fakePort}/v1`,
        SWITCHYARD_UPSTREAM__TIMEOUT_MS: '10000',
        OPENAI_API_KEY: 'test-key',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await adapter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
  };

  it('starts the fake, runs every case against the adapter process, prints the table and exits 0', async () => {
    const { out, io } = capture();
    const status = await runConformanceCommand({ target: adapter.address, fake: 'openai', fakePort, fakeApiKey: 'test-key', faults: true }, io);
    const table = out.join('\n');
    if (status !== 0) console.log(table, adapter.output());
    expect(status).toBe(0);
    expect(table).toMatch(/PASSED: \d+ passed, 0 failed, 0 skipped/);
    expect(table).toContain('fault.stream-cut');
  }, 60_000);

  it('exits 1 when a case could not run (no fake to script faults), and prints JSON on request', async () => {
    const { out, io } = capture();
    const status = await runConformanceCommand(
      { target: adapter.address, fakeApiKey: 'test-key', faults: true, only: ['list-models.shape', 'fault.rate-limit'], json: true },
      io,
    );
    expect(status).toBe(1);
    const report = JSON.parse(out.join('')) as { passed: boolean; results: Array<{ id: string; status: string }> };
    expect(report.passed).toBe(false);
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['list-models.shape', 'pass'],
      ['fault.rate-limit', 'skip'],
    ]);
  });
});
