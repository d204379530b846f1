/**
 * The fixed train/validation split: a row is in validation when the first 32 bits of
 * sha256(id), modulo 100, are below `VALIDATION_PERCENT`. It depends on nothing but the id, so it is
 * the same on every machine, for every model, and stays put when rows are added.
 */
import { createHash } from 'node:crypto';
import type { RoutingRow } from './routing-data';

/** Share of ids (in percent) that go to validation. */
export const VALIDATION_PERCENT = 20;

/** Whether the row with this id belongs to the validation split. */
export function isValidationId(id: string): boolean {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % 100 < VALIDATION_PERCENT;
}

/** Training and validation rows, contaminated rows removed. */
export interface RoutingSplit {
  readonly train: RoutingRow[];
  readonly validation: RoutingRow[];
  readonly contaminated: number;
}

/** Drops contaminated rows and splits the rest by id. */
export function splitRoutingRows(rows: readonly RoutingRow[]): RoutingSplit {
  const train: RoutingRow[] = [];
  const validation: RoutingRow[] = [];
  let contaminated = 0;
  for (const row of rows) {
    if (row.contaminated) contaminated++;
    else (isValidationId(row.id) ? validation : train).push(row);
  }
  return { train, validation, contaminated };
}
