import { describeModelKey, priceKey, type ModelKey } from './catalog-price';

/** The part of a price entry that effective-date validation looks at. */
export interface EffectiveRange extends ModelKey {
  /** Inclusive start. */
  effectiveFrom: Date;
  /** Exclusive end; undefined means open-ended. */
  effectiveUntil?: Date;
}

/** One problem with a set of effective ranges, pointing at the entry (by input index) and field. */
export interface EffectiveRangeViolation {
  /** Index of the offending entry in the input array. */
  index: number;
  /** Which field is wrong. */
  field: 'effectiveFrom' | 'effectiveUntil';
  /** What is wrong, for a person. */
  message: string;
}

const iso = (date: Date | undefined): string => (date ? date.toISOString() : 'open-ended');

/**
 * Checks that, per model key (provider, model, deployment), the effective ranges are well formed
 * (start before end) and tile time without overlaps or gaps: sorted by start, each range ends
 * exactly where the next begins, and only the last may be open-ended. Returns every violation
 * (empty when valid); a violation names the later of two conflicting entries.
 */
export function findEffectiveRangeViolations(entries: readonly EffectiveRange[]): EffectiveRangeViolation[] {
  const violations: EffectiveRangeViolation[] = [];
  const byKey = new Map<string, number[]>();
  entries.forEach((entry, index) => {
    if (Number.isNaN(entry.effectiveFrom.getTime())) {
      violations.push({ index, field: 'effectiveFrom', message: 'is not a valid time' });
      return;
    }
    if (entry.effectiveUntil && Number.isNaN(entry.effectiveUntil.getTime())) {
      violations.push({ index, field: 'effectiveUntil', message: 'is not a valid time' });
      return;
    }
    if (entry.effectiveUntil && entry.effectiveUntil.getTime() <= entry.effectiveFrom.getTime()) {
      violations.push({
        index,
        field: 'effectiveUntil',
        message: `${iso(entry.effectiveUntil)} must be after effectiveFrom ${iso(entry.effectiveFrom)}`,
      });
      return;
    }
    const key = priceKey(entry);
    const list = byKey.get(key) ?? [];
    list.push(index);
    byKey.set(key, list);
  });

  for (const indexes of byKey.values()) {
    const sorted = [...indexes].sort(
      (a, b) => entries[a].effectiveFrom.getTime() - entries[b].effectiveFrom.getTime() || a - b,
    );
    for (let i = 1; i < sorted.length; i++) {
      const previous = entries[sorted[i - 1]];
      const current = entries[sorted[i]];
      const name = describeModelKey(current);
      const previousRange = `[${iso(previous.effectiveFrom)}, ${iso(previous.effectiveUntil)})`;
      const previousEnd = previous.effectiveUntil?.getTime();
      const currentStart = current.effectiveFrom.getTime();
      if (previousEnd === undefined || previousEnd > currentStart) {
        violations.push({
          index: sorted[i],
          field: 'effectiveFrom',
          message: `${name} starting ${iso(current.effectiveFrom)} overlaps the range ${previousRange}`,
        });
      } else if (previousEnd < currentStart) {
        violations.push({
          index: sorted[i],
          field: 'effectiveFrom',
          message: `${name} starting ${iso(current.effectiveFrom)} leaves a gap after the range ${previousRange}`,
        });
      }
    }
  }
  return violations.sort((a, b) => a.index - b.index);
}
