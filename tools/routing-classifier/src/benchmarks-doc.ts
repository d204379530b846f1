/**
 * Writes one section of the shared docs/benchmarks.md without touching the others: the section
 * runs from its `## ` heading to the next `## ` heading (or the end of the file).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Returns `document` with `section` (which starts with its own `## ` heading) replaced or appended. */
export function replaceSection(document: string, heading: string, section: string): string {
  const body = section.endsWith('\n') ? section : `${section}\n`;
  const lines = document.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) {
    const base = document.endsWith('\n') ? document : `${document}\n`;
    return `${base}\n${body}`;
  }
  let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  return `${before}${before === '' ? '' : '\n'}${body}${after === '' ? '' : `\n${after}`}`;
}

/** Replaces (or appends) the section in the file, creating it with a `# Benchmarks` title if missing. */
export function writeBenchmarksSection(path: string, heading: string, section: string): void {
  const document = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(document, heading, section));
}
