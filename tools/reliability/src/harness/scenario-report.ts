// Every scenario reports its numbers (requests served, ledger rows, overshoot, inputs tried...) as
// one JSON line, so a CI log or a local run gives the figures docs/reliability.md quotes. With
// RELIABILITY_REPORT_FILE set, the lines are also appended to that file.
import { appendFileSync } from 'node:fs';

/** Numbers one scenario measured. */
export type ScenarioNumbers = Record<string, number | string | boolean | Record<string, number>>;

/** Prints (and optionally appends to RELIABILITY_REPORT_FILE) one scenario's numbers. */
export function reportScenario(scenario: string, numbers: ScenarioNumbers): void {
  const line = JSON.stringify({ scenario, ...numbers });
  process.stdout.write(`RELIABILITY ${line}\n`);
  const file = process.env.RELIABILITY_REPORT_FILE;
  if (file) appendFileSync(file, `${line}\n`);
}
