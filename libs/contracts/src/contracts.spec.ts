import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { router, switchyardFiles } from './index';

const repoRoot = resolve(__dirname, '../../..');
const buf = join(repoRoot, 'node_modules/.bin/buf');

describe('the Protobuf contracts', () => {
  it('pass buf lint (STANDARD + COMMENTS)', () => {
    const result = spawnSync(buf, ['lint'], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('buf breaking catches a changed field number', () => {
    const work = mkdtempSync(join(tmpdir(), 'breaking-'));
    try {
      for (const side of ['main', 'branch']) {
        for (const dir of ['proto', 'third_party']) cpSync(join(repoRoot, dir), join(work, side, dir), { recursive: true });
        cpSync(join(repoRoot, 'buf.yaml'), join(work, side, 'buf.yaml'));
      }
      const file = join(work, 'branch/proto/switchyard/common/v1/usage.proto');
      writeFileSync(file, readFileSync(file, 'utf8').replace('int64 output_tokens = 2;', 'int64 output_tokens = 12;'));
      const unchanged = spawnSync(buf, ['breaking', '--against', join(work, 'main')], { cwd: join(work, 'main'), encoding: 'utf8' });
      expect(unchanged.status).toBe(0);
      const result = spawnSync(buf, ['breaking', '--against', join(work, 'main')], { cwd: join(work, 'branch'), encoding: 'utf8' });
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/output_tokens|field "2"|Field "2"/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);

  it('export every Switchyard file and service descriptor', () => {
    expect(switchyardFiles.map((f) => f.name)).toContain('switchyard/router/v1/router');
    expect(router.RouterService.methods.map((m) => m.name)).toEqual(['Generate', 'StreamGenerate', 'ExplainRoute', 'ListModels']);
  });
});
