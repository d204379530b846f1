import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isValidationId, splitRoutingRows, VALIDATION_PERCENT } from './data-split';
import { parseRoutingRow, readRoutingData } from './routing-data';

describe('routing data', () => {
  it('reads outcome files, skips others, and derives the benchmark from the id', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'routing-data-'));
    try {
      writeFileSync(
        path.join(dir, 'team.jsonl'),
        [
          { id: 'support/1', prompt: 'reset my password', strong_correct: 1, weak_correct: true },
          { id: 'x', prompt: 'hello', strong_correct: 0.5, weak_correct: 0, contaminated: true },
        ]
          .map((row) => JSON.stringify(row))
          .join('\n'),
      );
      writeFileSync(path.join(dir, 'team_responses.jsonl'), JSON.stringify({ id: 'support/1', strong_response: '…' }));
      const data = readRoutingData(dir);
      expect(data.skippedFiles).toEqual(['team_responses.jsonl']);
      expect(data.files).toHaveLength(1);
      expect(data.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(data.rows.map((row) => [row.benchmark, row.strongCorrect, row.weakCorrect, row.contaminated])).toEqual([
        ['support', 1, 1, false],
        ['custom', 0.5, 0, true],
      ]);
      expect(splitRoutingRows(data.rows).contaminated).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file, line and field of a bad row', () => {
    expect(() => parseRoutingRow({ id: 'a', prompt: 'p', strong_correct: 2, weak_correct: 0 }, 'f.jsonl:3')).toThrow(
      'f.jsonl:3: "strong_correct" must be 0..1 or a boolean (got 2)',
    );
  });

  it('splits by a fixed hash of the id, about 20 % to validation', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `mmlu/subject/${i}`);
    const share = ids.filter(isValidationId).length / ids.length;
    expect(Math.abs(share - VALIDATION_PERCENT / 100)).toBeLessThan(0.02);
    expect(ids.map(isValidationId)).toEqual(ids.map(isValidationId));
  });
});
