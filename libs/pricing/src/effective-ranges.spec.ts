import { findEffectiveRangeViolations, type EffectiveRange } from './effective-ranges';

const d = (iso: string) => new Date(`${iso}T00:00:00Z`);
const range = (from: string, until?: string, model = 'm', deployment?: string): EffectiveRange => ({
  provider: 'p',
  model,
  deployment,
  effectiveFrom: d(from),
  effectiveUntil: until ? d(until) : undefined,
});

describe('findEffectiveRangeViolations', () => {
  it.each([
    ['a single open-ended range', [range('2025-01-01')], []],
    ['contiguous ranges', [range('2025-01-01', '2025-02-01'), range('2025-02-01', '2025-03-01'), range('2025-03-01')], []],
    ['contiguous ranges in any order', [range('2025-03-01'), range('2025-01-01', '2025-02-01'), range('2025-02-01', '2025-03-01')], []],
    ['a closed last range (retired model)', [range('2025-01-01', '2025-02-01')], []],
    ['different models never conflict', [range('2025-01-01'), range('2025-01-01', undefined, 'other')], []],
    ['a deployment-specific range is its own key', [range('2025-01-01'), range('2025-01-01', undefined, 'm', 'dep-1')], []],
    ['an overlap', [range('2025-01-01', '2025-02-15'), range('2025-02-01')], [{ index: 1, field: 'effectiveFrom', message: expect.stringMatching(/overlaps/) }]],
    ['an open-ended range followed by another', [range('2025-01-01'), range('2025-02-01')], [{ index: 1, field: 'effectiveFrom', message: expect.stringMatching(/overlaps/) }]],
    ['the same start twice', [range('2025-01-01', '2025-02-01'), range('2025-01-01', '2025-02-01')], [{ index: 1, field: 'effectiveFrom', message: expect.stringMatching(/overlaps/) }]],
    ['a gap', [range('2025-01-01', '2025-02-01'), range('2025-02-02')], [{ index: 1, field: 'effectiveFrom', message: expect.stringMatching(/gap/) }]],
    ['an empty range', [range('2025-02-01', '2025-02-01')], [{ index: 0, field: 'effectiveUntil', message: expect.stringMatching(/must be after/) }]],
    ['an inverted range', [range('2025-02-01', '2025-01-01')], [{ index: 0, field: 'effectiveUntil', message: expect.stringMatching(/must be after/) }]],
    ['an invalid date', [{ provider: 'p', model: 'm', effectiveFrom: new Date('nope') }], [{ index: 0, field: 'effectiveFrom', message: 'is not a valid time' }]],
    [
      'the later entry is named, violations in index order',
      [range('2025-03-01'), range('2025-01-01', '2025-02-01'), range('2025-02-10', '2025-03-01')],
      [{ index: 2, field: 'effectiveFrom', message: expect.stringMatching(/gap/) }],
    ],
  ] as Array<[string, EffectiveRange[], unknown[]]>)('%s', (_name, entries, expected) => {
    expect(findEffectiveRangeViolations(entries)).toEqual(expected);
  });

  it('names the model and both ranges in the message', () => {
    const [violation] = findEffectiveRangeViolations([range('2025-01-01', '2025-02-15', 'gpt-x', 'dep'), range('2025-02-01', undefined, 'gpt-x', 'dep')]);
    expect(violation.message).toBe(
      'p/gpt-x@dep starting 2025-02-01T00:00:00.000Z overlaps the range [2025-01-01T00:00:00.000Z, 2025-02-15T00:00:00.000Z)',
    );
  });
});
