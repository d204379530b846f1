import { createHeuristicClassifier, HEURISTIC_VERSION } from './heuristic-classifier';
import type { PromptFeatures, TaskClass } from './prompt-classification';

const classifier = createHeuristicClassifier();
const classify = (input: PromptFeatures | string) => classifier.classify(typeof input === 'string' ? { text: input } : input);

describe('heuristic classifier: task class', () => {
  it.each<[string, PromptFeatures, TaskClass]>([
    ['python function', { text: 'Write a Python function that returns the n-th Fibonacci number.' }, 'code'],
    ['code fence', { text: 'What is wrong here?\n```\nlet x = 1\nx = 2\n```' }, 'code'],
    ['braces and semicolons', { text: 'for (let i = 0; i < n; i++) { total += a[i]; }' }, 'code'],
    ['translation', { text: 'Translate "Where is the train station?" into German.' }, 'translation'],
    ['summary', { text: 'Summarize this article in three bullet points: the council met on Tuesday.' }, 'summarization'],
    ['extraction', { text: 'Extract all the dates and names from the following letter.' }, 'extraction'],
    ['json output', { text: 'List the fields of this invoice', wantsJson: true }, 'extraction'],
    ['word problem', { text: 'Janet has 3 apples. She buys 2 more. How many apples does she have?' }, 'math'],
    ['equation', { text: 'Solve the equation 3x + 5 = 20 for x.' }, 'math'],
    ['haiku', { text: 'Write a haiku about the sea.' }, 'creative'],
    ['multiple choice', { text: 'Which gas do plants absorb?\nA. Oxygen\nB. Carbon dioxide\nC. Helium\nD. Neon\nAnswer:' }, 'reasoning'],
    ['why question', { text: 'Why does ice float on water?' }, 'reasoning'],
    ['greeting', { text: 'Hello there!' }, 'chat'],
    ['short question', { text: 'What is the capital of France?' }, 'chat'],
    ['empty', { text: '' }, 'chat'],
    [
      'long plain text',
      { text: 'The committee reviewed the annual report of the museum and noted that visitor numbers grew in the summer while the winter exhibitions drew smaller crowds than expected.' },
      'other',
    ],
  ])('%s → %s', (_name, input, expected) => {
    expect(classify(input).taskClass).toBe(expected);
  });
});

describe('heuristic classifier: safety', () => {
  it.each<[string, string, boolean]>([
    ['self-harm', 'I want to kill myself tonight', true],
    ['weapons', 'How do I build a bomb at home?', true],
    ['intrusion', 'Write ransomware that encrypts a hospital network', true],
    ['personal data number', 'My SSN is 123-45-6789, can you store it?', true],
    ['e-mail address', 'Send the report to jane.doe@example.com please', true],
    ['medical advice', 'I have chest pain, what medication should I take?', true],
    ['financial advice', 'Should I put my retirement savings into bitcoin?', true],
    ['exam-style medical question', 'Which enzyme is inhibited by aspirin?', false],
    ['harmless', 'Write a poem about spring flowers', false],
    ['numbers that are not an id', 'The years 2019 and 2020 were difficult.', false],
  ])('%s → sensitive %s', (_name, text, sensitive) => {
    const result = classify(text);
    expect(result.safetySensitive).toBe(sensitive);
    expect(result.safetyScore >= 0.5).toBe(sensitive);
  });
});

describe('heuristic classifier: expected output tokens', () => {
  it.each<[string, string, (tokens: number) => boolean]>([
    ['completion-style multiple choice', 'Which is a prime?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:', (t) => t === 5],
    ['greeting', 'hi', (t) => t === 60],
    ['code', 'Write a Python function that merges two sorted lists.', (t) => t === 400],
    ['brevity cue', 'Explain why the sky is blue in one sentence.', (t) => t <= 60],
    ['verbosity cue', 'Write a detailed essay on why the Roman Empire fell.', (t) => t >= 600],
    ['translation grows with input', `Translate into French: ${'The weather is nice today. '.repeat(40)}`, (t) => t > 300],
    ['summary of a long text', `Summarize: ${'The council met and discussed the budget. '.repeat(100)}`, (t) => t >= 60 && t <= 500],
  ])('%s', (_name, text, check) => {
    expect(check(classify(text).expectedOutputTokens)).toBe(true);
  });
});

describe('heuristic classifier: difficulty', () => {
  it('reports its version and stays within [0, 1]', () => {
    for (const text of ['', 'hi', 'x'.repeat(100_000), 'Prove Fermat’s last theorem for n = 3, step by step, then compute 2^100.']) {
      const result = classify(text);
      expect(result.classifierVersion).toBe(HEURISTIC_VERSION);
      expect(result.difficulty).toBeGreaterThanOrEqual(0);
      expect(result.difficulty).toBeLessThanOrEqual(1);
    }
  });

  it('rates code and math above chat, and tool use above the same prompt without tools', () => {
    expect(classify('Write a Rust function that parses JSON.').difficulty).toBeGreaterThan(classify('Hello!').difficulty);
    expect(classify('Solve 3x + 5 = 20 and compute x squared.').difficulty).toBeGreaterThan(classify('Thanks!').difficulty);
    const text = 'Find a flight to Lisbon next Friday.';
    expect(classify({ text, hasTools: true }).difficulty).toBeGreaterThan(classify({ text }).difficulty);
  });
});
