/**
 * One pass over a prompt's characters that collects everything the rules and the model need:
 * character-class counts, structural marks (option lines, code fences, e-mail-like tokens), the
 * hash of every word, and the cue hits. A scan object is reused across calls so the hot path does
 * not allocate (its word buffer only grows). Written for speed: one table read per character, and
 * nothing inside the loop is read through another module (CommonJS imports are property reads).
 */
import { CUE_COUNT, type CueLexicon, type CueTable } from './cue-lexicon';
import { FNV_OFFSET as HASH_START, FNV_PRIME as HASH_PRIME, HASH_MASK as MASK, mixHash, pairHash } from './feature-hash';

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
  /** `+ * / = ^ < > %`, a minus after a space, and the Unicode math signs. */
  mathOperators: number;
  questionMarks: number;
  /** `$ € £ ¥`. */
  currencySigns: number;
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
  /** 30-bit FNV-1a hash of each lower-cased word (`fnvString`); entries `[0, words)` are valid. */
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
    questionMarks: 0, currencySigns: 0, sentenceEnds: 0, numbers: 0, longDigitRuns: 0, emailLike: 0,
    words: 0, longWords: 0, wordChars: 0, wordHashes: new Int32Array(256), cueCounts: new Int32Array(CUE_COUNT),
    cueMask: 0,
  };
}

// ---- character classes: one table read per character ----

/** Part of a word: ASCII letters, digits and `_`, and non-ASCII letters (any code unit outside the punctuation blocks). */
const WORD = 1;
const DIGIT = 2;
const UPPER = 4;
const LETTER = 8;
/** Space, tab, CR, LF, no-break space. */
const SPACE = 16;
/** `+ * / = ^ < > %` and Unicode math signs (× ÷ − ≤ ≥ √ ∫ ∑); a minus is handled apart. */
const MATH = 32;
/** `{ } ; [ ]`. */
const CODE = 64;
const NON_ASCII = 128;
/** Needs its own handling in the scanner: LF ? . ! ` @ - $ € £ ¥ ？. */
const SPECIAL = 256;

function isNonAsciiWordCode(code: number): boolean {
  if (code <= 0xbf) return false; // Latin-1 spaces, punctuation and signs
  if (code === 0xd7 || code === 0xf7) return false; // × ÷
  if (code >= 0x2000 && code <= 0x2bff) return false; // general punctuation, arrows, math, symbols
  if (code >= 0x3000 && code <= 0x303f) return false; // CJK punctuation
  if (code >= 0xff00 && code <= 0xff20) return false; // full-width punctuation
  return true;
}

function buildClasses(): Uint16Array {
  const classes = new Uint16Array(65536);
  for (let code = 0; code < 65536; code++) {
    let bits = 0;
    if (code >= 48 && code <= 57) bits |= WORD | DIGIT;
    else if (code >= 65 && code <= 90) bits |= WORD | LETTER | UPPER;
    else if (code >= 97 && code <= 122) bits |= WORD | LETTER;
    else if (code === 95) bits |= WORD;
    else if (code >= 128 && isNonAsciiWordCode(code)) bits |= WORD | LETTER;
    if (code >= 128) bits |= NON_ASCII;
    if (code === 32 || code === 9 || code === 10 || code === 13 || code === 0xa0) bits |= SPACE;
    if ('+*/=^<>%'.includes(String.fromCharCode(code)) && code < 128) bits |= MATH;
    if ([0xd7, 0xf7, 0x2212, 0x2264, 0x2265, 0x221a, 0x222b, 0x2211].includes(code)) bits |= MATH;
    if (code === 123 || code === 125 || code === 59 || code === 91 || code === 93) bits |= CODE;
    if ([10, 63, 46, 33, 96, 64, 45, 36, 0x20ac, 0xa3, 0xa5, 0xff1f].includes(code)) bits |= SPECIAL;
    classes[code] = bits;
  }
  return classes;
}

function buildLowerCase(): Uint16Array {
  const lower = new Uint16Array(65536);
  for (let code = 0; code < 65536; code++) {
    if (code >= 65 && code <= 90) lower[code] = code + 32;
    else if (code >= 0xc0 && code <= 0xde && code !== 0xd7) lower[code] = code + 32;
    else lower[code] = code;
  }
  return lower;
}

/** Class bits of every UTF-16 code unit. */
const CHAR_CLASS = buildClasses();

/** Lower-case of every code unit (ASCII A–Z and Latin-1 À–Þ; others unchanged). Matches `lowerCode`. */
const LOWER_CASE = buildLowerCase();

// CommonJS imports compile to property reads on the module object; bind the hot helpers once.
const mix = mixHash;
const pair = pairHash;
const FNV_OFFSET = HASH_START;
const FNV_PRIME = HASH_PRIME;
const HASH_MASK = MASK;
const LF = 10;

/** Looks a word or word-pair hash up in a compiled cue table; 0 when absent. */
function cueBits(table: CueTable, key: number): number {
  const keys = table.keys;
  const masks = table.masks;
  let slot = mix(key) & table.slotMask;
  for (;;) {
    const bits = masks[slot];
    if (bits === 0 || keys[slot] === key) return bits;
    slot = (slot + 1) & table.slotMask;
  }
}

function classAt(text: string, at: number): number {
  return at < text.length ? CHAR_CLASS[text.charCodeAt(at)] : SPACE;
}

const ANSWER_CUE = 'answer:';

function endsWithAnswerCue(text: string): boolean {
  let end = text.length;
  while (end > 0 && (CHAR_CLASS[text.charCodeAt(end - 1)] & SPACE) !== 0) end--;
  if (end < ANSWER_CUE.length) return false;
  const start = end - ANSWER_CUE.length;
  for (let i = 0; i < ANSWER_CUE.length; i++) {
    if (LOWER_CASE[text.charCodeAt(start + i)] !== ANSWER_CUE.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether an option label (`A.`, `B)`, `(C)`) starts at `at`, after optional indentation. */
function isOptionLine(text: string, at: number): boolean {
  let i = at;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  if (i < text.length && text.charCodeAt(i) === 40) i++; // (
  if (i + 1 >= text.length) return false;
  const letter = text.charCodeAt(i);
  if (letter < 65 || letter > 74) return false; // A–J
  const mark = text.charCodeAt(i + 1);
  if (mark !== 46 && mark !== 41 && mark !== 58) return false; // . ) :
  return (classAt(text, i + 2) & SPACE) !== 0;
}

function isIndented(text: string, at: number): boolean {
  if (at >= text.length) return false;
  if (text.charCodeAt(at) === 9) return true;
  return text.startsWith('    ', at);
}

function growWordHashes(scan: PromptScan): Int32Array {
  const grown = new Int32Array(scan.wordHashes.length * 2);
  grown.set(scan.wordHashes);
  scan.wordHashes = grown;
  return grown;
}

/** Scans `text` into `scan` (overwriting it) and returns it. */
export function scanPrompt(text: string, lexicon: CueLexicon, scan: PromptScan): PromptScan {
  const length = text.length;
  const cueCounts = scan.cueCounts;
  cueCounts.fill(0);
  let wordHashes = scan.wordHashes;
  // prefilters inlined (see `mayContain`): one bit test rejects most words before any hashing
  const wordFilter = lexicon.wordFilter;
  const pairFirstFilter = lexicon.pairFirstFilter;
  let letters = 0, digits = 0, upper = 0, nonAscii = 0, newlines = 0, indentedLines = 0, optionLines = 0;
  let codeFences = 0, codePunctuation = 0, mathOperators = 0, questionMarks = 0, currencySigns = 0;
  let sentenceEnds = 0, numbers = 0, longDigitRuns = 0, emailLike = 0, words = 0, longWords = 0;
  let wordChars = 0, cueMask = 0;
  let hash = FNV_OFFSET, wordLength = 0, wordDigits = 0, previousWord = 0, digitRun = 0;

  if (isIndented(text, 0)) indentedLines++;
  if (isOptionLine(text, 0)) optionLines++;

  // one step past the end with a virtual space, so the last word is closed inside the loop
  for (let i = 0; i <= length; i++) {
    const code = i < length ? text.charCodeAt(i) : 32;
    const cls = CHAR_CLASS[code];

    if ((cls & WORD) !== 0) {
      hash = Math.imul(hash ^ LOWER_CASE[code], FNV_PRIME);
      wordLength++;
      if ((cls & DIGIT) !== 0) {
        wordDigits++;
        digits++;
        digitRun++;
      } else {
        if (digitRun >= 9) longDigitRuns++;
        digitRun = 0;
        letters += (cls & LETTER) >> 3;
        upper += (cls & UPPER) >> 2;
        nonAscii += (cls & NON_ASCII) >> 7;
      }
      continue;
    }

    if (wordLength > 0) {
      hash &= HASH_MASK;
      if (words === wordHashes.length) wordHashes = growWordHashes(scan);
      wordHashes[words++] = hash;
      wordChars += wordLength;
      if (wordLength >= 10) longWords++;
      if (wordDigits === wordLength) numbers++;
      let hits = 0;
      if (((wordFilter[(hash >>> 5) & 0x7ff] >>> (hash & 31)) & 1) !== 0) hits = cueBits(lexicon.words, hash);
      if (words > 1 && ((pairFirstFilter[(previousWord >>> 5) & 0x7ff] >>> (previousWord & 31)) & 1) !== 0) {
        hits |= cueBits(lexicon.pairs, pair(previousWord, hash));
      }
      if (hits !== 0) {
        cueMask |= hits;
        for (let bit = 0; hits >>> bit !== 0; bit++) if (((hits >>> bit) & 1) !== 0) cueCounts[bit]++;
      }
      previousWord = hash;
      hash = FNV_OFFSET;
      wordLength = 0;
      wordDigits = 0;
    }
    if (i === length) break;

    // a dash between digit groups keeps a digit run going (123-45-6789)
    if (digitRun > 0 && !(code === 45 && (classAt(text, i + 1) & DIGIT) !== 0)) {
      if (digitRun >= 9) longDigitRuns++;
      digitRun = 0;
    }
    if (cls === SPACE) continue;
    nonAscii += (cls & NON_ASCII) >> 7;
    if ((cls & MATH) !== 0) mathOperators++;
    if ((cls & CODE) !== 0) codePunctuation++;
    if ((cls & SPECIAL) === 0) continue;

    switch (code) {
      case LF:
        newlines++;
        if (isIndented(text, i + 1)) indentedLines++;
        if (isOptionLine(text, i + 1)) optionLines++;
        break;
      case 63: // ?
      case 0xff1f: // ？
        questionMarks++;
        sentenceEnds++;
        break;
      case 46: // .
      case 33: // !
        if ((classAt(text, i + 1) & SPACE) !== 0) sentenceEnds++;
        break;
      case 96: // `
        codePunctuation++;
        if (text.charCodeAt(i + 1) === 96 && text.charCodeAt(i + 2) === 96) {
          codeFences++;
          codePunctuation += 2;
          i += 2;
        }
        break;
      case 64: // @
        if (i > 0 && (CHAR_CLASS[text.charCodeAt(i - 1)] & WORD) !== 0 && (classAt(text, i + 1) & WORD) !== 0) emailLike++;
        break;
      case 45: // - : a spaced minus ("5 - 3") is arithmetic; digit-dash-digit is usually a range, date or id
        if (i > 0 && (CHAR_CLASS[text.charCodeAt(i - 1)] & SPACE) !== 0 && (classAt(text, i + 1) & (SPACE | DIGIT)) !== 0) {
          mathOperators++;
        }
        break;
      default: // $ € £ ¥
        currencySigns++;
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
  scan.currencySigns = currencySigns;
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
