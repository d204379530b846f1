// `bench overhead` in a short mode, so the benchmark cannot rot: all three scenarios (direct,
// Switchyard's full path with tracing, Portkey) for about a second per step at tiny rates. It checks
// the report's shape and that no call failed — never the speed (a benchmark is not a timed test).
import { resolve } from 'node:path';
import { evaluateTargets, formatOverheadTable, runOverheadBenchmark, SCENARIOS, type OverheadReport } from './overhead';
import { memoryGrowth } from './soak';

describe('bench overhead, short mode', () => {
  let report: OverheadReport;
  const lines: string[] = [];

  beforeAll(async () => {
    report = await runOverheadBenchmark({
      repoRoot: resolve(__dirname, '../../..'),
      durationS: 1,
      rates: [5, 10],
      p99BoundMs: 60_000,
      streamRate: 5,
      ttftMs: 50,
      scenarios: [...SCENARIOS],
      billingDatabase: 'pglite',
      postgresAdminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      probeConcurrency: 2,
      log: (line) => lines.push(line),
    });
  });

  it('reports every scenario with the fields the JSON promises', () => {
    for (const name of SCENARIOS) {
      const scenario = report[name]!;
      expect(scenario).toBeDefined();
      expect(scenario.maxThroughput.closedLoop.reqPerS).toBeGreaterThan(0);
      expect(scenario.maxThroughput.attempts.length).toBeGreaterThan(0);
      expect(scenario.fixedRates.map((step) => step.rate)).toEqual([5, 10]);
      expect(scenario.fixedRates[0]!.run).toBe(true);
      expect(scenario.fixedRates[0]!.latencyMs!.p50).toBeGreaterThan(0);
      expect(scenario.streaming.ttftMs.p50).toBeGreaterThanOrEqual(50);
      expect(Object.keys(scenario).sort()).toEqual(
        ['clientCpuMsPerRequest', 'cpuMeasuredAt', 'cpuMsPerRequest', 'description', 'errors', 'fixedRates', 'maxThroughput', 'peakRssMiB', 'sampleErrors', 'streaming'].sort(),
      );
    }
    expect(report.switchyard!.fixedRates[0]!.addedMs).toBeDefined();
    expect(report.portkey!.streaming.addedTtftMs).toBeDefined();
    expect(Object.keys(report.switchyard!.peakRssMiB).sort()).toEqual(['adapter-openai', 'billing', 'router']);
    expect(report.switchyard!.cpuMsPerRequest.router).toBeGreaterThan(0);
    expect(report.portkey!.peakRssMiB.portkey).toBeGreaterThan(0);
  });

  it('fails no call in any scenario, and exports traces', () => {
    expect({ direct: report.direct!.sampleErrors, switchyard: report.switchyard!.sampleErrors, portkey: report.portkey!.sampleErrors }).toEqual({ direct: [], switchyard: [], portkey: [] });
    for (const name of SCENARIOS) expect(report[name]!.errors).toBe(0);
    expect(report.otlp!.exports).toBeGreaterThan(0);
  });

  it('prints one table and evaluates the targets', () => {
    const table = formatOverheadTable(report);
    expect(table.split('\n')[0]).toBe('|  | direct | switchyard | portkey |');
    expect(table).toContain('max sustainable req/s');
    expect(evaluateTargets(report).map((t) => t.name)).toHaveLength(5);
    expect(JSON.parse(JSON.stringify(report))).toHaveProperty('switchyard.streaming.addedTtftMs');
  });
});

describe('memoryGrowth (the soak verdict)', () => {
  it('passes a flat series and fails a steadily growing one', () => {
    expect(memoryGrowth([100, 120, 121, 119, 120, 122, 121, 120]).pass).toBe(true);
    expect(memoryGrowth([100, 110, 120, 130, 140, 150, 160, 170]).pass).toBe(false);
    expect(memoryGrowth([100, 120, NaN, 121, 119, NaN, 120, 122, 121, 120]).pass).toBe(true);
  });
});
