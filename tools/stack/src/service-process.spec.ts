import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startServiceProcess } from './service-process';

const repoRoot = resolve(__dirname, '../../..');
const fixtureService = join(__dirname, 'testing', 'fixture-service.cjs');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function until(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('startServiceProcess', () => {
  it('reports the listening address, restarts a crashed child, and stops it gracefully', async () => {
    const crashes: string[] = [];
    const child = await startServiceProcess({
      name: 'fixture',
      command: [process.execPath, fixtureService],
      cwd: __dirname,
      env: process.env,
      restartBackoffMs: { initial: 50, max: 100 },
      onCrash: (name, exit) => crashes.push(`${name}:${exit.signal}`),
    });
    expect(child.address).toBe('127.0.0.1:1');
    const firstPid = child.pid!;
    process.kill(firstPid, 'SIGKILL');
    await until(() => child.restarts === 1 && child.pid !== firstPid, 5000);
    expect(crashes).toEqual(['fixture:SIGKILL']);
    const pid = child.pid!;
    await child.stop(2000);
    expect(alive(pid)).toBe(false);
    expect(child.restarts).toBe(1);
  });

  it('fails clearly when a child exits before it is ready', async () => {
    await expect(
      startServiceProcess({ name: 'broken', command: [process.execPath, '-e', 'process.exit(3)'], cwd: __dirname, env: process.env }),
    ).rejects.toThrow('broken exited with code 3 before it was ready');
  });

  it('leaves no orphan when the launcher itself is SIGKILLed', async () => {
    const launcher = spawn(join(repoRoot, 'node_modules/.bin/tsx'), [join(__dirname, 'testing', 'fixture-launcher.ts')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const { childPid, launcherPid } = await new Promise<{ childPid: number; launcherPid: number }>((done) =>
      createInterface({ input: launcher.stdout! }).on('line', (line) => line.includes('childPid') && done(JSON.parse(line))),
    );
    expect(alive(childPid)).toBe(true);
    // Kill only the launcher (and tsx's wrapper), not the process group: the child must notice by itself.
    process.kill(launcherPid, 'SIGKILL');
    process.kill(launcher.pid!, 'SIGKILL');
    await until(() => !alive(childPid), 5000);
  });
});
