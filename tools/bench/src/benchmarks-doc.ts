/** docs/benchmarks.md: each component benchmark owns one `## ` section and rewrites only that one. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const BENCHMARKS_DOC = join(resolve(__dirname, '../../..'), 'docs/benchmarks.md');

/**
 * Replaces the section that starts with `heading` (a `## ` line) up to the next `## ` heading, or
 * appends it when the document has none; returns the file written.
 */
export function writeBenchmarkSection(heading: string, section: string, file = BENCHMARKS_DOC): string {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(`\n${heading}\n`);
  let updated: string;
  if (start === -1) {
    updated = `${current.trimEnd()}\n\n${section.trimEnd()}\n`;
  } else {
    const after = current.indexOf('\n## ', start + 1);
    updated = `${current.slice(0, start + 1)}${section.trimEnd()}\n${after === -1 ? '' : current.slice(after)}`;
  }
  writeFileSync(file, updated);
  return file;
}
