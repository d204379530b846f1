// Validates suite files and prints each problem with its line number:
//   npx tsx services/evaluator/src/suites/check-suites.ts [FILE_OR_FOLDER ...]   (default: services/evaluator/suites)
import { statSync } from 'node:fs';
import path from 'node:path';
import { loadSuiteFolders, readSuiteFile } from './suite-catalog';
import { SuiteFileError } from './suite-file';

function main(args: string[]): number {
  const targets = args.length > 0 ? args : [path.resolve(__dirname, '../../suites')];
  let failed = 0;
  for (const target of targets) {
    if (statSync(target).isDirectory()) {
      const loaded = loadSuiteFolders([target]);
      for (const suite of loaded.suites) process.stdout.write(`ok   ${suite.name}@${suite.version}: ${suite.items.length} items, scorers ${suite.scorers.join(', ')}\n`);
      for (const error of loaded.rejected) process.stdout.write(`FAIL ${error.message}\n`);
      failed += loaded.rejected.length;
      continue;
    }
    try {
      const suite = readSuiteFile(target);
      process.stdout.write(`ok   ${suite.name}@${suite.version}: ${suite.items.length} items, scorers ${suite.scorers.join(', ')}\n`);
    } catch (error) {
      if (!(error instanceof SuiteFileError)) throw error;
      process.stdout.write(`FAIL ${error.message}\n`);
      failed++;
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
