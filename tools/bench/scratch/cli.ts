import { Command } from 'commander';
import { registerBench } from '../../cli/src/commands/bench';
const program = new Command('switchyard');
registerBench(program);
program.parseAsync(process.argv).catch((e) => { console.error(e); process.exit(1); });
