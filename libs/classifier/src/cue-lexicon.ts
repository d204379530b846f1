/**
 * Cue words: the small vocabulary the heuristic rules look for (task class, safety, length cues).
 * Each entry is one word or a two-word phrase, lower-case ASCII. The lexicon is compiled once into
 * open-addressing hash tables keyed by the scanner's word and word-pair hashes, so a lookup on the
 * hot path is a couple of typed-array reads and no string is ever built.
 */
import { fnvString, mixHash, pairHash } from './feature-hash';

/** Cue ids; each is one bit of a 32-bit mask. */
export const CUE = {
  code: 0,
  math: 1,
  translation: 2,
  summarization: 3,
  extraction: 4,
  creative: 5,
  reasoning: 6,
  greeting: 7,
  multiStep: 8,
  brevity: 9,
  verbosity: 10,
  structuredOutput: 11,
  selfHarm: 12,
  weapons: 13,
  drugs: 14,
  hacking: 15,
  medical: 16,
  legal: 17,
  financial: 18,
  personalData: 19,
  firstPerson: 20,
  adviceRequest: 21,
} as const;

/** Name of a cue. */
export type CueName = keyof typeof CUE;

/** Number of cues (length of a scan's `cueCounts`). */
export const CUE_COUNT = Object.keys(CUE).length;

/** The words and two-word phrases of each cue. */
export const CUE_WORDS: Readonly<Record<CueName, readonly string[]>> = {
  code: [
    'code', 'coding', 'programming', 'function', 'functions', 'variables',
    'python', 'javascript', 'typescript', 'java', 'rust', 'golang', 'kotlin', 'swift', 'ruby', 'php',
    'sql', 'html', 'css', 'regex', 'regexp', 'bash', 'shell', 'api', 'bug', 'debug', 'compile',
    'compiler', 'refactor', 'implement', 'algorithm', 'script', 'snippet', 'syntax', 'exception',
    'recursion', 'recursive', 'array', 'def', 'const', 'println', 'console', 'npm', 'git', 'docker',
    'kubernetes', 'stack trace', 'unit test', 'unit tests', 'source code', 'pull request',
  ],
  math: [
    'calculate', 'compute', 'solve', 'equation', 'equations', 'integral', 'derivative', 'probability',
    'polynomial', 'theorem', 'matrix', 'algebra', 'geometry', 'triangle', 'fraction', 'remainder',
    'percent', 'percentage', 'average', 'ratio', 'sum', 'product', 'how many', 'how much',
    'square root', 'prime', 'integer', 'integers', 'arithmetic', 'multiply', 'divide', 'divided',
    'how far', 'how long', 'how fast', 'how old', 'mph', 'speed', 'profit', 'interest rate',
  ],
  translation: [
    'translate', 'translated', 'translating', 'translation', 'into english', 'into french',
    'into spanish', 'into german', 'into chinese', 'into japanese', 'into italian', 'into portuguese',
    'into russian', 'into korean', 'into arabic', 'to english', 'to french', 'to spanish', 'to german',
  ],
  summarization: [
    'summarize', 'summarise', 'summarizing', 'summary', 'summarization', 'tldr', 'tl dr', 'recap',
    'condense', 'key points', 'main points', 'key takeaways',
  ],
  extraction: [
    'extract', 'extraction', 'parse', 'list all', 'pull out', 'identify all', 'find all', 'entities',
    'named entities', 'fields', 'key value', 'tabulate',
  ],
  creative: [
    'poem', 'poems', 'poetry', 'story', 'stories', 'haiku', 'limerick', 'lyrics', 'song', 'sonnet',
    'fiction', 'screenplay', 'roleplay', 'role play', 'pretend', 'imagine', 'slogan', 'joke', 'jokes',
    'rap', 'tweet', 'blog post', 'short story', 'fairy tale', 'creative',
  ],
  reasoning: [
    'why', 'explain', 'reason', 'reasoning', 'logic', 'logical', 'puzzle', 'riddle', 'prove', 'proof',
    'deduce', 'infer', 'argue', 'argument', 'compare', 'analyze', 'analyse', 'evaluate',
    'implications', 'which of', 'true or', 'step by', 'statement',
  ],
  greeting: [
    'hi', 'hello', 'hey', 'thanks', 'thank you', 'good morning', 'good evening', 'how are', 'howdy',
    'bye', 'goodbye', 'whats up',
  ],
  multiStep: [
    'then', 'after', 'each', 'every', 'total', 'remaining', 'twice', 'half', 'times', 'per',
    'respectively', 'finally', 'afterwards', 'altogether', 'in total', 'step by',
  ],
  brevity: [
    'briefly', 'brief', 'concise', 'concisely', 'one word', 'one sentence', 'short answer', 'yes or',
    'in short', 'tersely', 'haiku', 'limerick', 'slogan', 'tweet', 'title',
  ],
  verbosity: [
    'detailed', 'in detail', 'comprehensive', 'thorough', 'thoroughly', 'essay', 'elaborate',
    'in depth', 'report', 'guide', 'tutorial', 'article',
  ],
  structuredOutput: ['json', 'yaml', 'csv', 'xml', 'schema', 'table'],
  selfHarm: [
    'suicide', 'suicidal', 'selfharm', 'self harm', 'kill myself', 'end my', 'hurt myself',
    'cut myself', 'overdose', 'to die',
  ],
  weapons: [
    'bomb', 'bombs', 'explosive', 'explosives', 'weapon', 'weapons', 'gun', 'guns', 'firearm',
    'firearms', 'rifle', 'ammunition', 'grenade', 'detonator', 'napalm', 'sarin', 'anthrax',
    'bioweapon', 'nerve agent', 'murder', 'assassinate', 'kill someone',
  ],
  drugs: ['cocaine', 'heroin', 'meth', 'methamphetamine', 'fentanyl', 'lsd', 'mdma', 'opioids'],
  hacking: [
    'malware', 'ransomware', 'keylogger', 'exploit', 'phishing', 'botnet', 'ddos', 'hack into',
    'sql injection', 'steal passwords', 'crack password', 'backdoor',
  ],
  medical: [
    'diagnosis', 'diagnose', 'symptom', 'symptoms', 'medication', 'medications', 'medicine',
    'dosage', 'dose', 'prescription', 'prescribed', 'treatment', 'disease', 'cancer', 'pregnant',
    'pregnancy', 'doctor', 'pain', 'infection', 'antibiotics', 'insulin', 'surgery', 'therapy',
    'depression', 'anxiety', 'side effects',
  ],
  legal: [
    'lawyer', 'attorney', 'lawsuit', 'sue', 'suing', 'legal', 'illegal', 'court', 'custody',
    'divorce', 'contract', 'lease', 'landlord', 'eviction', 'visa', 'immigration', 'arrested',
    'liable', 'liability', 'copyright', 'patent',
  ],
  financial: [
    'invest', 'investing', 'investment', 'investments', 'stock', 'stocks', 'crypto', 'bitcoin',
    'portfolio', 'retirement', '401k', 'mortgage', 'loan', 'loans', 'debt', 'tax', 'taxes',
    'credit score', 'bankruptcy', 'savings', 'trading', 'forex',
  ],
  personalData: [
    'ssn', 'passport', 'social security', 'credit card', 'bank account', 'birthdate', 'birth date', 'home address',
    'phone number', 'drivers license', 'medical records', 'account number', 'routing number', 'dox',
    'doxx', 'pii', 'personal data', 'personal information', 'gdpr', 'hipaa',
  ],
  // not "i": it is also the Roman numeral of exam options ("I and II only")
  firstPerson: ['my', 'me', 'myself', 'im', 'ive', 'mine'],
  adviceRequest: [
    'should i', 'should we', 'recommend', 'advice', 'advise', 'can i', 'safe to', 'help me',
    'do i', 'am i',
  ],
};

/** A compiled lookup table from a word hash (or word-pair hash) to a mask of cue bits. */
export interface CueTable {
  readonly keys: Int32Array;
  readonly masks: Int32Array;
  readonly slotMask: number;
}

/** The two compiled tables (single words, two-word phrases) and their bit-set prefilters. */
export interface CueLexicon {
  readonly words: CueTable;
  readonly pairs: CueTable;
  /** Bit `hash & 0xffff` is set for every cue word: most words are rejected by one bit test. */
  readonly wordFilter: Uint32Array;
  /** Bit `hash & 0xffff` is set for every first word of a phrase: most pairs are never hashed. */
  readonly pairFirstFilter: Uint32Array;
}

/** Whether `hash` may be in a prefilter (false = certainly not). */
export function mayContain(filter: Uint32Array, hash: number): boolean {
  return ((filter[(hash >>> 5) & 0x7ff] >>> (hash & 31)) & 1) !== 0;
}

function addToFilter(filter: Uint32Array, hash: number): void {
  filter[(hash >>> 5) & 0x7ff] |= 1 << (hash & 31);
}

function createTable(entries: ReadonlyMap<number, number>): CueTable {
  let size = 16;
  while (size < entries.size * 4) size *= 2;
  const keys = new Int32Array(size);
  const masks = new Int32Array(size);
  for (const [key, mask] of entries) {
    let slot = mixHash(key) & (size - 1);
    while (masks[slot] !== 0) slot = (slot + 1) & (size - 1);
    keys[slot] = key;
    masks[slot] = mask;
  }
  return { keys, masks, slotMask: size - 1 };
}

/** Compiles the cue vocabulary into lookup tables (done once per classifier). */
export function compileCueLexicon(vocabulary: Readonly<Record<CueName, readonly string[]>> = CUE_WORDS): CueLexicon {
  const words = new Map<number, number>();
  const pairs = new Map<number, number>();
  const wordFilter = new Uint32Array(2048);
  const pairFirstFilter = new Uint32Array(2048);
  for (const name of Object.keys(vocabulary) as CueName[]) {
    const bit = 1 << CUE[name];
    for (const entry of vocabulary[name]) {
      const parts = entry.split(' ');
      if (parts.length === 1) {
        const key = fnvString(parts[0]);
        words.set(key, (words.get(key) ?? 0) | bit);
        addToFilter(wordFilter, key);
      } else if (parts.length === 2) {
        addToFilter(pairFirstFilter, fnvString(parts[0]));
        const key = pairHash(fnvString(parts[0]), fnvString(parts[1]));
        pairs.set(key, (pairs.get(key) ?? 0) | bit);
      } else {
        throw new Error(`cue "${entry}" of "${name}" has more than two words`);
      }
    }
  }
  return { words: createTable(words), pairs: createTable(pairs), wordFilter, pairFirstFilter };
}
