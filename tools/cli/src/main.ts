// The `switchyard` command: one entry point for the local stack, the router, billing, keys,
// evaluation, conformance, routing-classifier scoring and benchmarks.
import { Command } from 'commander';
import { registerBillingCommands } from './commands/billing-commands';
import { registerDemo } from './commands/demo';
import { registerKeys } from './commands/keys';
import { registerRouterCommands } from './commands/router-commands';
import { registerRouterScore } from './commands/router-score';
import { registerConformance } from './commands/conformance';
import { registerEval } from './commands/eval';
import { registerBench } from './commands/bench';
import { CliError } from './stack-discovery';
import { SwitchyardError } from '@switchyard/sdk';

const program = new Command('switchyard')
  .description('Switchyard: run many AI models as one. Without flags, commands use the local stack from `npm start`.')
  .showHelpAfterError();

registerRouterCommands(program);
registerBillingCommands(program);
registerKeys(program);
registerDemo(program);
registerRouterScore(program);
registerConformance(program);
registerEval(program);
registerBench(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CliError) console.error(`error: ${error.message}`);
  else if (error instanceof SwitchyardError) console.error(`error: ${error.codeName}: ${error.message}${error.reason ? ` (${error.reason})` : ''}`);
  else if (error instanceof Error && 'code' in error && error.code === 14) console.error(`error: cannot reach the service (${error.message}). Is the stack running? Try \`npm start\`.`);
  else console.error(error);
  process.exit(1);
});
