// `bench profile` in a short mode, so the profiler tool cannot rot: the real request path under
// `node --cpu-prof` for a hundred calls. It checks that every service wrote a profile the summary
// can read and that the path's own code shows up in it — never the speed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatPathProfile, PROFILED_SERVICES, runPathProfile, type PathProfileReport } from './path-profile';

describe('bench profile, short mode', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'switchyard-profile-test-'));
  let report: PathProfileReport;

  beforeAll(async () => {
    report = await runPathProfile({
      repoRoot: resolve(__dirname, '../../..'),
      requests: 100,
      concurrency: 2,
      outDir,
      top: 200,
      billingDatabase: 'pglite',
      postgresAdminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      tracing: true,
      profile: true,
      focus: ['makeUnaryRequest'],
      entries: {},
      log: () => undefined,
    });
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('serves every call and measures each service', () => {
    expect(report).toMatchObject({ calls: 100, errors: 0, billingDatabase: 'PGlite', tracing: true });
    for (const name of PROFILED_SERVICES) expect(report.cpuMsPerCall[name]).toBeGreaterThan(0);
  });

  it("summarises each service's profile over the load window, with the path's own code in it", () => {
    for (const name of PROFILED_SERVICES) {
      const profile = report.profiles?.[name];
      expect(profile?.file.startsWith(join(outDir, name))).toBe(true);
      expect(profile!.busyUsPerCall).toBeGreaterThan(0);
      expect(profile!.byModule.length).toBeGreaterThan(0);
    }
    for (const name of ['router', 'adapter-openai'] as const) expect(report.profiles![name]!.byModule.map((row) => row.name)).toContain('npm:@grpc/grpc-js');
    for (const row of report.profiles!.router!.inclusive) expect(row.name).toBe('makeUnaryRequest');
    expect(formatPathProfile(report)).toContain('## adapter-openai:');
  });
});
