import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSuiteFolders } from './suite-catalog';
import { parseSuiteText, SuiteFileError } from './suite-file';

const header = JSON.stringify({ suite: 'demo', version: '1', task_class: 'math', scorer: { type: 'numeric_final_answer' } });

function problemsOf(text: string) {
  try {
    parseSuiteText(text, 'demo.v1.jsonl');
  } catch (error) {
    if (error instanceof SuiteFileError) return error.problems;
    throw error;
  }
  throw new Error('the suite was accepted');
}

describe('suite files', () => {
  it('parses a header and items, applying the header defaults', () => {
    const suite = parseSuiteText(
      [
        JSON.stringify({ suite: 'demo', version: '1', task_class: 'math', scorer: 'numeric_final_answer', system: 'Be brief.', params: { temperature: 0 } }),
        JSON.stringify({ id: 'a', prompt: '2+2?', reference: '4' }),
        '',
        JSON.stringify({ id: 'b', task_class: 'chat', messages: [{ role: 'user', content: 'hi' }], scorer: { type: 'regex', pattern: 'hello', flags: 'i' }, params: { max_output_tokens: 20 } }),
      ].join('\n'),
      'demo.v1.jsonl',
    );
    expect(suite).toMatchObject({ name: 'demo', version: '1', scorers: ['numeric_final_answer', 'regex'] });
    expect(suite.items[0]).toMatchObject({ id: 'a', index: 0, taskClass: 'math', reference: '4', params: { temperature: 0 } });
    expect(suite.items[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: '2+2?' },
    ]);
    expect(suite.items[1]).toMatchObject({ id: 'b', index: 1, taskClass: 'chat', params: { temperature: 0, maxOutputTokens: 20 } });
    expect(suite.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects malformed JSON, an unknown scorer and a missing reference, with line numbers and reasons', () => {
    const problems = problemsOf(
      [
        header,
        JSON.stringify({ id: 'ok', prompt: '1+1?', reference: 2 }),
        '{"id": "broken", "prompt": "3+3?", ',
        JSON.stringify({ id: 'u', prompt: 'x', reference: '1', scorer: { type: 'fuzzy_match' } }),
        JSON.stringify({ id: 'm', prompt: '5+5?' }),
        JSON.stringify({ id: 'ok', prompt: 'again', reference: 1 }),
      ].join('\n'),
    );
    expect(problems).toEqual([
      { line: 3, reason: expect.stringMatching(/^malformed JSON \(/) },
      { line: 4, reason: expect.stringMatching(/^unknown scorer "fuzzy_match" \(known: exact_match, normalized_match, numeric_final_answer, regex, json_schema, contains, not_contains, llm_judge\)$/) },
      { line: 5, reason: 'scorer numeric_final_answer needs a "reference"' },
      { line: 6, reason: 'duplicate id "ok" (first on line 2)' },
    ]);
  });

  it.each([
    [{ id: 'x', prompt: 'p', reference: 'four' }, 'scorer numeric_final_answer needs a numeric reference (a number or a numeric string)'],
    [{ id: 'x', prompt: 'p', reference: 1, scorer: { type: 'regex' } }, 'regex: scorer.pattern: Invalid input: expected string, received undefined'],
    [{ id: 'x', prompt: 'p', scorer: { type: 'regex', pattern: '(' } }, expect.stringMatching(/^regex: scorer.pattern is not a valid regular expression/)],
    [{ id: 'x', prompt: 'p', scorer: { type: 'regex', pattern: 'a', flag: 'i' } }, 'regex: scorer: unknown field "flag"'],
    [{ id: 'x', prompt: 'p', scorer: { type: 'json_schema', schema: { type: 'object', patternProperties: {} } } }, 'json_schema: scorer.schema: #: unsupported keyword "patternProperties"'],
    [{ id: 'x', prompt: 'p', scorer: { type: 'llm_judge', rubric: 'general@9' } }, 'llm_judge: unknown rubric "general@9" (known: general@1, refusal@1)'],
    [{ id: 'x', prompt: 'p', scorer: 'exact_match' }, 'scorer exact_match needs a "reference"'],
    [{ id: 'x', prompt: 'p', scorer: 'contains' }, 'scorer contains needs a "reference" (or scorer.values)'],
    [{ id: 'x', prompt: 'p', reference: 1, task_class: 'poetry' }, expect.stringMatching(/^unknown task_class "poetry"/)],
    [{ id: 'x', reference: 1 }, 'give exactly one of "prompt" (a string) or "messages" (an array of {role, content})'],
    [{ id: 'x', messages: [{ role: 'assistant', content: 'hi' }], reference: 1 }, 'the last message must be from the user'],
    [{ id: 'x', prompt: 'p', reference: 1, refrence: 2 }, 'unknown field "refrence"'],
    [{ id: 'x', prompt: 'p', reference: 1, params: { temperature: 5 } }, 'item: params.temperature must be a number in [0, 2]'],
    [{ prompt: 'p', reference: 1 }, '"id" must be a non-empty string (at most 200 characters)'],
  ])('rejects item %j: %s', (item, reason) => {
    expect(problemsOf(`${header}\n${JSON.stringify(item)}`)).toEqual([{ line: 2, reason }]);
  });

  it.each([
    [JSON.stringify({ id: 'x', prompt: 'p' }), 'the first line must be the suite header {"suite": NAME, "version": VERSION, ...}'],
    [JSON.stringify({ suite: 'Bad Name', version: '1' }), 'header: "suite" must be a lower-case name like "gsm8k"'],
    ['{"suite": ', expect.stringMatching(/^malformed JSON/)],
  ])('rejects a bad header %j', (text, reason) => {
    expect(problemsOf(`${text}\n${JSON.stringify({ id: 'x', prompt: 'p', reference: 1 })}`)[0]).toEqual({ line: 1, reason });
  });

  it('rejects an empty file', () => {
    expect(problemsOf('\n\n')).toEqual([{ line: 1, reason: 'empty file: the first line must be the suite header {"suite": NAME, "version": VERSION}' }]);
  });

  it('loads good files from folders and rejects bad ones without failing the rest', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'switchyard-suites-'));
    try {
      await writeFile(path.join(folder, 'demo.v1.jsonl'), `${header}\n${JSON.stringify({ id: 'a', prompt: '1+1', reference: 2 })}\n`);
      await writeFile(path.join(folder, 'demo.v2.jsonl'), `${header.replace('"1"', '"2"')}\n${JSON.stringify({ id: 'a', prompt: '1+1', reference: 2 })}\n`);
      await writeFile(path.join(folder, 'broken.v1.jsonl'), `${header.replace('demo', 'broken')}\n{not json\n`);
      await writeFile(path.join(folder, 'misnamed.v3.jsonl'), `${header}\n${JSON.stringify({ id: 'a', prompt: '1+1', reference: 2 })}\n`);
      const loaded = loadSuiteFolders([folder]);
      expect(loaded.catalog.list().map((suite) => `${suite.name}@${suite.version}`)).toEqual(['demo@2']);
      expect(loaded.catalog.get('demo@1')?.version).toBe('1');
      expect(loaded.rejected.map((error) => [error.source, error.problems[0]!.line])).toEqual([
        ['broken.v1.jsonl', 2],
        ['misnamed.v3.jsonl', 1],
      ]);
      expect(loaded.rejected[0]!.message).toContain('broken.v1.jsonl: 1 problem:\n  line 2: malformed JSON');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
