import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLearnedClassifier } from '@switchyard/classifier';
import { scoreJsonl } from './score-file';

async function score(content: string): Promise<{ rows: number; lines: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'score-file-'));
  try {
    const input = path.join(dir, 'prompts.jsonl');
    writeFileSync(input, content);
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const { rows } = await scoreJsonl(input, output);
    return { rows, lines: chunks.join('').split('\n').filter((line) => line !== '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('scoreJsonl', () => {
  it('writes one {id, score} line per row, in input order', async () => {
    const prompts = [
      { id: 'b', prompt: 'Write a Python function that reverses a string.', benchmark: 'ignored' },
      { id: 7, prompt: 'hi' },
      { id: 'a', prompt: 'Which is a prime?\nA. 4\nB. 7\nC. 8\nD. 9\nAnswer:', strong_correct: 1 },
    ];
    const { rows, lines } = await score(`${prompts.map((p) => JSON.stringify(p)).join('\n')}\n\n`);
    expect(rows).toBe(3);
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed.map((row) => row.id)).toEqual(['b', 7, 'a']);
    const classifier = createLearnedClassifier();
    parsed.forEach((row, i) => {
      expect(Object.keys(row)).toEqual(['id', 'score']);
      expect(row.score).toBe(classifier.classify({ text: prompts[i].prompt }).difficulty);
      expect(row.score).toBeGreaterThanOrEqual(0);
      expect(row.score).toBeLessThanOrEqual(1);
    });
  });

  it.each([
    ['invalid JSON', '{"id": "a", "prompt": "x"}\n{"id": "b", "prompt": }\n', 'line 2: invalid JSON'],
    ['a missing prompt', '{"id": "a", "prompt": "x"}\n\n{"id": "b"}\n', 'line 3: "prompt" must be a string'],
    ['a missing id', '{"prompt": "x"}\n', 'line 1: "id" must be a string or a number'],
    ['a non-object row', '["a", "x"]\n', 'line 1: expected a JSON object'],
  ])('rejects %s with its line number', async (_name, content, message) => {
    await expect(score(content)).rejects.toThrow(message);
  });
});
