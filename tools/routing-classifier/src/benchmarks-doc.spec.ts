import { replaceSection } from './benchmarks-doc';

const HEADING = '## Router decision: classifier inference';

describe('replaceSection', () => {
  it('appends the section when it is missing', () => {
    const doc = replaceSection('# Benchmarks\n\n## Gateway\n\nfast\n', HEADING, `${HEADING}\n\nnew\n`);
    expect(doc).toBe(`# Benchmarks\n\n## Gateway\n\nfast\n\n${HEADING}\n\nnew\n`);
  });

  it('replaces only its own section, keeping the ones around it', () => {
    const before = `# Benchmarks\n\n## Gateway\n\nfast\n\n${HEADING}\n\nold\nnumbers\n\n## Billing\n\nslow\n`;
    const doc = replaceSection(before, HEADING, `${HEADING}\n\nnew\n`);
    expect(doc).toBe(`# Benchmarks\n\n## Gateway\n\nfast\n\n${HEADING}\n\nnew\n\n## Billing\n\nslow\n`);
    expect(replaceSection(doc, HEADING, `${HEADING}\n\nnew\n`)).toBe(doc);
  });
});
