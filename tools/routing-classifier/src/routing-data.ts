/**
 * Reading routing data: JSONL rows with a prompt and the 0/1 (or 0..1) correctness of a strong and
 * a weak model on it. Any `*.jsonl` file whose rows carry `strong_correct` and `weak_correct` is
 * read; other JSONL files in the folder (e.g. `*_responses.jsonl`) are skipped.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One prompt with both models' outcomes. */
export interface RoutingRow {
  readonly id: string;
  /** `benchmark` field, else the `id` prefix before `/`, else `custom`. */
  readonly benchmark: string;
  readonly prompt: string;
  /** Correctness of the strong model, 0..1 (0/1 on MMLU and GSM8K). */
  readonly strongCorrect: number;
  readonly weakCorrect: number;
  readonly contaminated: boolean;
}

/** Provenance of one data file. */
export interface RoutingDataFile {
  readonly name: string;
  readonly sha256: string;
  readonly rows: number;
}

/** Everything read from a data folder. */
export interface RoutingDataSet {
  readonly rows: RoutingRow[];
  readonly files: RoutingDataFile[];
  readonly skippedFiles: string[];
}

function correctness(value: unknown, field: string, where: string): number {
  if (value === true || value === false) return value ? 1 : 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new Error(`${where}: "${field}" must be 0..1 or a boolean (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** Validates one parsed row; `where` (file:line) prefixes the error. */
export function parseRoutingRow(json: unknown, where: string): RoutingRow {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${where}: not a JSON object`);
  const row = json as Record<string, unknown>;
  if (typeof row.id !== 'string' || row.id === '') throw new Error(`${where}: "id" must be a non-empty string`);
  if (typeof row.prompt !== 'string') throw new Error(`${where}: "prompt" must be a string`);
  const benchmark =
    typeof row.benchmark === 'string' && row.benchmark !== ''
      ? row.benchmark
      : row.id.includes('/')
        ? row.id.slice(0, row.id.indexOf('/'))
        : 'custom';
  return {
    id: row.id,
    benchmark,
    prompt: row.prompt,
    strongCorrect: correctness(row.strong_correct, 'strong_correct', where),
    weakCorrect: correctness(row.weak_correct, 'weak_correct', where),
    contaminated: row.contaminated === true,
  };
}

/** Whether a file's first line has both models' outcomes (so the file is routing data). */
function hasOutcomeFields(firstLine: string | undefined): boolean {
  if (firstLine === undefined) return false;
  try {
    const json: unknown = JSON.parse(firstLine);
    return typeof json === 'object' && json !== null && 'strong_correct' in json && 'weak_correct' in json;
  } catch {
    return false;
  }
}

/** Reads every routing-data file of `dir` (sorted by name, so row order is fixed). */
export function readRoutingData(dir: string): RoutingDataSet {
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort();
  const rows: RoutingRow[] = [];
  const files: RoutingDataFile[] = [];
  const skippedFiles: string[] = [];
  for (const name of names) {
    const content = readFileSync(path.join(dir, name));
    const lines = content.toString('utf8').split('\n');
    if (!hasOutcomeFields(lines.find((line) => line.trim() !== ''))) {
      skippedFiles.push(name);
      continue;
    }
    let count = 0;
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const where = `${name}:${index + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        throw new Error(`${where}: invalid JSON (${(error as Error).message})`);
      }
      rows.push(parseRoutingRow(json, where));
      count++;
    });
    files.push({ name, sha256: createHash('sha256').update(content).digest('hex'), rows: count });
  }
  if (rows.length === 0) throw new Error(`no routing data (*.jsonl with strong_correct and weak_correct) in ${dir}`);
  return { rows, files, skippedFiles };
}
