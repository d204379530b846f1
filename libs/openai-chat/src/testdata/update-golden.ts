// Rewrites the `expected` of every golden case from the current translators:
//   node_modules/.bin/tsx libs/openai-chat/src/testdata/update-golden.ts
// Review the diff before committing: a golden file changes only when the wire mapping is meant to.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRequestCase, runResponseCase, runStreamCase, type RequestCase, type ResponseCase, type StreamCase } from './golden';

function update<C extends { expected?: unknown }>(file: string, run: (testCase: C) => unknown): void {
  const path = join(__dirname, file);
  const cases = JSON.parse(readFileSync(path, 'utf8')) as C[];
  for (const testCase of cases) testCase.expected = run(testCase);
  writeFileSync(path, `${JSON.stringify(cases, null, 2)}\n`);
}

update<RequestCase>('request-cases.json', runRequestCase);
update<ResponseCase>('response-cases.json', runResponseCase);
update<StreamCase>('stream-cases.json', runStreamCase);
