// A stand-in launcher: supervises one fixture service, prints its pid, and waits to be killed.
import { join } from 'node:path';
import { startServiceProcess } from '../service-process';

startServiceProcess({
  name: 'fixture',
  command: [process.execPath, '--require', join(__dirname, '..', 'exit-with-launcher.cjs'), join(__dirname, 'fixture-service.cjs')],
  cwd: __dirname,
  env: process.env,
}).then((child) => process.stdout.write(`${JSON.stringify({ childPid: child.pid, launcherPid: process.pid })}\n`));
setInterval(() => undefined, 1000); // keep the launcher alive until it is killed
