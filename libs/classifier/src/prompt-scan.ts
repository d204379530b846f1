/**
 * One pass over a prompt's characters that collects everything the rules and the model need:
 * character-class counts, structural marks (option lines, code fences, e-mail-like tokens), the
 * hash of every word, and the cue hits. A scan object is reused across calls so the hot path does
 * not allocate (its word buffer only grows).
 */
import { CUE_COUNT, type CueLexicon, lookupCue } from './cue-lexicon';
import { FNV_OFFSET, fnvStep, lowerCode, pairHash } from './feature-hash';

/** What one scan of a prompt found. Fields are overwritten by the next scan. */
export interface PromptScan {
  /** UTF-16 code units. */
  chars: number;
  letters: number;
  digits: number;
  upper: number;
  nonAscii: number;
  newlines: number;
  /** Lines indented by a tab or four spaces (code blocks). */
  indentedLines: number;
  /** Lines that start like a multiple-choice option: `A.`, `B)`, `(C)`. */
  optionLines: number;
  /** Whether the prompt ends with `Answer:` (a completion-style multiple-choice prompt). */
  endsWithAnswerCue: boolean;
  codeFences: number;
  /** `{ } ; [ ]` and backticks. */
  codePunctuation: number;
  /** `+ * / = ^ < > %`, a spaced or numeric `-`, and the Unicode math signs. */
  mathOperators: number;
  questionMarks: number;
  sentenceEnds: number;
  /** Words made only of digits. */
  numbers: number;
  /** Runs of nine or more digits, optionally dash-separated (phone, card, id numbers). */
  longDigitRuns: number;
  /** `@` between word characters. */
  emailLike: number;
  words: number;
  /** Words of ten or more characters. */
  longWords: number;
  /** Sum of word lengths. */
  wordChars: number;
  /** FNV-1a hash of each lower-cased word; entries `[0, words)` are valid. */
  wordHashes: Int32Array;
  /** Hits per cue id (see `CUE`). */
  cueCounts: Int32Array;
  /** Bit `i` set when cue `i` was hit at least once. */
  cueMask: number;
}

/** Makes an empty, reusable scan object. */
export function createPromptScan(): PromptScan {
  return {
    chars: 0, letters: 0, digits: 0, upper: 0, nonAscii: 0, newlines: 0, indentedLines: 0,
    optionLines: 0, endsWithAnswerCue: false, codeFences: 0, codePunctuation: 0, mathOperators: 0,
    questionMarks: 0, sentenceEnds: 0, numbers: 0, longDigitRuns: 0, emailLike: 0, words: 0,
    longWords: 0, wordChars: 0, wordHashes: new Int32Array(256), cueCounts: new Int32Array(CUE_COUNT),
    cueMask: 0,
  };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Letters, digits and `_` in ASCII; every non-ASCII code unit except spaces and punctuation blocks. */
function isWordCode(code: number): boolean {
  if (code < 128) {
    return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;
  }
  if (code <= 0xbf) return false; // Latin-1 spaces, punctuation and signs
  if (code === 0xd7 || code === 0xf7) return false; // × ÷
  if (code >= 0x2000 && code <= 0x2bff) return false; // general punctuation, arrows, math operators, symbols
  if (code >= 0x3000 && code <= 0x303f) return false; // CJK punctuation
  if (code >= 0xff00 && code <= 0xff20) return false; // full-width punctuation
  return true;
}

function isMathOperator(code: number): boolean {
  return (
    code === 43 || code === 42 || code === 47 || code === 61 || code === 94 || code === 60 || code === 62 ||
    code === 37 || code === 0xd7 || code === 0xf7 || code === 0x2212 || (code >= 0x2264 && code <= 0x2265) ||
    code === 0x221a || code === 0x222b || code === 0x2211
  );
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 0xa0;
}

const ANSWER_CUE = 'answer:';

function endsWithAnswerCue(text: string): boolean {
  let end = text.length;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  if (end < ANSWER_CUE.length) return false;
  const start = end - ANSWER_CUE.length;
  for (let i = 0; i < ANSWER_CUE.length; i++) {
    if (lowerCode(text.charCodeAt(start + i)) !== ANSWER_CUE.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether an option label (`A.`, `B)`, `(C)`) starts at `at`. */
function isOptionLabel(text: string, at: number): boolean {
  let i = at;
  if (text.charCodeAt(i) === 40) i++; // (
  const letter = text.charCodeAt(i);
  if (letter < 65 || letter > 74) return false; // A–J
  const mark = text.charCodeAt(i + 1);
  if (mark !== 46 && mark !== 41 && mark !== 58) return false; // . ) :
  const after = text.charCodeAt(i + 2);
  return Number.isNaN(after) || isSpace(after);
}

function growWordHashes(scan: PromptScan): void {
  const grown = new Int32Array(scan.wordHashes.length * 2);
  grown.set(scan.wordHashes);
  scan.wordHashes = grown;
}

/** Scans `text` into `scan` (overwriting it) and returns it. */
export function scanPrompt(text: string, lexicon: CueLexicon, scan: PromptScan): PromptScan {
  const length = text.length;
  let letters = 0, digits = 0, upper = 0, nonAscii = 0, newlines = 0, indentedLines = 0, optionLines = 0;
  let codeFences = 0, codePunctuation = 0, mathOperators = 0, questionMarks = 0, sentenceEnds = 0;
  let numbers = 0, longDigitRuns = 0, emailLike = 0, words = 0, longWords = 0, wordChars = 0;
  let cueMask = 0;
  const cueCounts = scan.cueCounts;
  cueCounts.fill(0);

  let hash = FNV_OFFSET;
  let wordLength = 0;
  let wordDigits = 0;
  let previousWord = 0;
  let hasPreviousWord = false;
  let digitRun = 0;
  let lineStart = true;

  for (let i = 0; i <= length; i++) {
    const code = i < length ? text.charCodeAt(i) : 32;
    const wordCode = i < length && isWordCode(code);

    if (wordCode) {
      hash = fnvStep(hash, lowerCode(code));
      wordLength++;
      if (isDigit(code)) wordDigits++;
    } else if (wordLength > 0) {
      if (words === scan.wordHashes.length) growWordHashes(scan);
      scan.wordHashes[words++] = hash;
      wordChars += wordLength;
      if (wordLength >= 10) longWords++;
      if (wordDigits === wordLength) numbers++;
      const wordCues = lookupCue(lexicon.words, hash);
      const pairCues = hasPreviousWord ? lookupCue(lexicon.pairs, pairHash(previousWord, hash)) : 0;
      const hits = wordCues | pairCues;
      if (hits !== 0) {
        cueMask |= hits;
        for (let bit = 0; bit < cueCounts.length; bit++) if ((hits >>> bit) & 1) cueCounts[bit]++;
      }
      previousWord = hash;
      hasPreviousWord = true;
      hash = FNV_OFFSET;
      wordLength = 0;
      wordDigits = 0;
    }
    if (i === length) break;

    if (lineStart) {
      lineStart = false;
      if (code === 9 || (code === 32 && text.startsWith('    ', i))) indentedLines++;
      let at = i;
      while (at < length && (text.charCodeAt(at) === 32 || text.charCodeAt(at) === 9)) at++;
      if (isOptionLabel(text, at)) optionLines++;
    }

    if (isDigit(code)) {
      digits++;
      digitRun++;
    } else if (code === 45 && digitRun > 0 && isDigit(text.charCodeAt(i + 1))) {
      // a dash between digit groups keeps the run going (123-45-6789)
    } else if (digitRun > 0) {
      if (digitRun >= 9) longDigitRuns++;
      digitRun = 0;
    }

    if (code < 128) {
      if ((code >= 97 && code <= 122)) letters++;
      else if (code >= 65 && code <= 90) {
        letters++;
        upper++;
      } else if (code === 10) {
        newlines++;
        lineStart = true;
      } else if (code === 63) {
        questionMarks++;
        sentenceEnds++;
      } else if (code === 46 || code === 33) {
        const next = text.charCodeAt(i + 1);
        if (Number.isNaN(next) || isSpace(next)) sentenceEnds++;
      } else if (code === 96) {
        codePunctuation++;
        if (text.charCodeAt(i + 1) === 96 && text.charCodeAt(i + 2) === 96) {
          codeFences++;
          codePunctuation += 2;
          i += 2;
        }
      } else if (code === 123 || code === 125 || code === 59 || code === 91 || code === 93) {
        codePunctuation++;
      } else if (code === 64) {
        if (i > 0 && isWordCode(text.charCodeAt(i - 1)) && isWordCode(text.charCodeAt(i + 1))) emailLike++;
      } else if (code === 45) {
        const before = i > 0 ? text.charCodeAt(i - 1) : 32;
        const after = text.charCodeAt(i + 1);
        if ((isSpace(before) || isDigit(before)) && (isSpace(after) || isDigit(after))) mathOperators++;
      } else if (isMathOperator(code)) {
        mathOperators++;
      }
    } else {
      nonAscii++;
      if (code === 0xff1f) questionMarks++;
      if (isMathOperator(code)) mathOperators++;
      else if (isWordCode(code)) letters++;
    }
  }
  if (digitRun >= 9) longDigitRuns++;

  scan.chars = length;
  scan.letters = letters;
  scan.digits = digits;
  scan.upper = upper;
  scan.nonAscii = nonAscii;
  scan.newlines = newlines;
  scan.indentedLines = indentedLines;
  scan.optionLines = optionLines;
  scan.endsWithAnswerCue = endsWithAnswerCue(text);
  scan.codeFences = codeFences;
  scan.codePunctuation = codePunctuation;
  scan.mathOperators = mathOperators;
  scan.questionMarks = questionMarks;
  scan.sentenceEnds = sentenceEnds;
  scan.numbers = numbers;
  scan.longDigitRuns = longDigitRuns;
  scan.emailLike = emailLike;
  scan.words = words;
  scan.longWords = longWords;
  scan.wordChars = wordChars;
  scan.cueMask = cueMask;
  return scan;
}
