/**
 * `switchyard router score --input FILE.jsonl [--output FILE]`: scores prompts with the learned
 * routing classifier, one `{"id": …, "score": …}` line per input row (score = P(strong model
 * needed), see docs/routing.md).
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { scoreJsonl } from '@switchyard/routing-classifier';

interface RouterScoreOptions {
  input: string;
  output?: string;
}

async function runRouterScore(options: RouterScoreOptions): Promise<number> {
  if (options.output === undefined) return (await scoreJsonl(options.input, process.stdout)).rows;
  const output = createWriteStream(options.output);
  try {
    const { rows } = await scoreJsonl(options.input, output);
    output.end();
    await finished(output);
    return rows;
  } catch (error) {
    output.destroy();
    throw error;
  }
}

/** Adds `router score` to the CLI (creating the `router` command group if it is not there yet). */
export function registerRouterScore(program: Command): void {
  const router =
    program.commands.find((command) => command.name() === 'router') ??
    program.command('router').description('Routing classifier tools');
  router
    .command('score')
    .description('Score a JSONL file of {id, prompt} rows with the learned routing classifier')
    .requiredOption('--input <file>', 'JSONL input, one {"id": …, "prompt": …} object per line')
    .option('--output <file>', 'where to write {"id": …, "score": …} lines (default: stdout)')
    .action(async (options: RouterScoreOptions, command: Command) => {
      try {
        const rows = await runRouterScore(options);
        if (options.output !== undefined) process.stderr.write(`scored ${rows} rows into ${options.output}\n`);
      } catch (error) {
        command.error(`router score: ${(error as Error).message}`, { exitCode: 1, code: 'switchyard.routerScore' });
      }
    });
}
