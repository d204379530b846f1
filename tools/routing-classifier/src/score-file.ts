/**
 * Scores a JSONL file of prompts: one `{"id": …, "score": …}` line out per row in, in input order.
 * Rows need `id` (string or number) and `prompt` (string); other fields are ignored; blank lines
 * are skipped. The score is the classifier's `difficulty`.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createLearnedClassifier, type PromptClassifier } from '@switchyard/classifier';

function parseScoringRow(line: string, lineNumber: number): { id: string | number; prompt: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new Error(`line ${lineNumber}: invalid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`line ${lineNumber}: expected a JSON object`);
  }
  const row = json as Record<string, unknown>;
  if (typeof row.id !== 'string' && typeof row.id !== 'number') {
    throw new Error(`line ${lineNumber}: "id" must be a string or a number`);
  }
  if (typeof row.prompt !== 'string') throw new Error(`line ${lineNumber}: "prompt" must be a string`);
  return { id: row.id, prompt: row.prompt };
}

/**
 * Reads `inputPath` and writes one JSON line per row to `output` (not ended, so it can be stdout).
 * Throws an Error naming the line number on the first malformed row; rows before it have been
 * written by then.
 */
export async function scoreJsonl(
  inputPath: string,
  output: NodeJS.WritableStream,
  classifier: PromptClassifier = createLearnedClassifier(),
): Promise<{ rows: number }> {
  const lines = createInterface({ input: createReadStream(inputPath, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  let rows = 0;
  try {
    for await (const rawLine of lines) {
      lineNumber++;
      const line = lineNumber === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine; // tolerate a byte-order mark
      if (line.trim() === '') continue;
      const { id, prompt } = parseScoringRow(line, lineNumber);
      const score = classifier.classify({ text: prompt }).difficulty;
      rows++;
      if (!output.write(`${JSON.stringify({ id, score })}\n`)) await once(output, 'drain');
    }
  } finally {
    lines.close();
  }
  return { rows };
}
