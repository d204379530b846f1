import { compileCueLexicon, CUE, mayContain } from './cue-lexicon';
import { fnvString } from './feature-hash';
import { createPromptScan, scanPrompt } from './prompt-scan';

const lexicon = compileCueLexicon();
const scan = (text: string) => scanPrompt(text, lexicon, createPromptScan());

describe('scanPrompt', () => {
  it('reads a multiple-choice prompt', () => {
    const s = scan('What is 2 + 2?\nA. 3\nB. 4\n  C) 5\n(D) 22\nAnswer:  ');
    expect(s.optionLines).toBe(4);
    expect(s.endsWithAnswerCue).toBe(true);
    expect(s.questionMarks).toBe(1);
    expect(s.newlines).toBe(5);
    expect(s.numbers).toBe(6);
  });

  it('hashes lower-cased words like fnvString', () => {
    const s = scan('Hello, WORLD_1 Ünïcode!');
    expect(Array.from(s.wordHashes.subarray(0, s.words))).toEqual(['hello', 'world_1', 'ünïcode'].map(fnvString));
    expect(s.upper).toBe(6); // ASCII capitals only
  });

  it('counts code, math and personal-data marks', () => {
    const s = scan('```\nif (a) { b; }\n```\nx = 5 - 3 * 2\ncall 555-123-4567 or mail a@b.co, pay $5');
    expect(s.codeFences).toBe(2);
    expect(s.codePunctuation).toBeGreaterThanOrEqual(9);
    expect(s.mathOperators).toBe(3);
    expect(s.longDigitRuns).toBe(1);
    expect(s.emailLike).toBe(1);
    expect(s.currencySigns).toBe(1);
  });

  it('finds cue words and two-word phrases', () => {
    const s = scan('Please translate this. How many steps? Step by step.');
    expect(s.cueCounts[CUE.translation]).toBe(1);
    expect(s.cueCounts[CUE.math]).toBe(1);
    expect(s.cueCounts[CUE.reasoning]).toBe(1);
    expect(s.cueMask & (1 << CUE.code)).toBe(0);
  });

  it('grows its word buffer and resets between scans', () => {
    const reused = createPromptScan();
    scanPrompt('word '.repeat(5000), lexicon, reused);
    expect(reused.words).toBe(5000);
    scanPrompt('two words', lexicon, reused);
    expect(reused.words).toBe(2);
    expect(reused.cueMask).toBe(0);
  });

  it('prefilters cue words without false negatives', () => {
    expect(mayContain(lexicon.wordFilter, fnvString('translate'))).toBe(true);
    expect(mayContain(lexicon.pairFirstFilter, fnvString('how'))).toBe(true);
  });
});
