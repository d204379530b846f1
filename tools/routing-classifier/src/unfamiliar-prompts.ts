/**
 * Hand-picked prompts unlike the training data (chat, code, writing, other languages, safety, odd
 * input), to check by eye that the learned classifier stays sensible outside MMLU and GSM8K.
 * `evaluate.ts` prints their classifications; the spec checks a few orderings.
 */

/** One hand-check prompt. */
export interface UnfamiliarPrompt {
  readonly label: string;
  readonly text: string;
  readonly hasTools?: boolean;
}

/** The hand-check set, roughly from "weak model is plenty" to "needs the strong model". */
export const UNFAMILIAR_PROMPTS: readonly UnfamiliarPrompt[] = [
  { label: 'greeting', text: 'hi' },
  { label: 'small talk', text: 'Hello! How are you today?' },
  { label: 'thanks', text: 'Thanks, that was helpful.' },
  { label: 'Spanish factoid', text: '¿Cuál es la capital de Francia?' },
  { label: 'Chinese explanation', text: '请用中文解释量子纠缠是什么，并给出一个日常生活中的类比。' },
  { label: 'haiku', text: 'Write a haiku about autumn leaves.' },
  { label: 'short story', text: 'Write a short story about a lighthouse keeper who befriends a whale.' },
  { label: 'translation', text: 'Translate "Where is the train station?" into German.' },
  {
    label: 'summary',
    text: 'Summarize the following article in three bullet points: The city council met on Tuesday to discuss the new budget, which includes funding for parks, roads and schools.',
  },
  { label: 'trivial code question', text: 'function add(a, b) { return a + b; }\nconsole.log(add(1, 2));\n// why does this print 3?' },
  { label: 'code: Fibonacci', text: 'Write a Python function that returns the n-th Fibonacci number.' },
  {
    label: 'code: concurrency',
    text: 'Implement a lock-free concurrent hash map in Rust with resizing, and prove that your resize protocol is linearizable.',
  },
  { label: 'easy arithmetic', text: 'Janet has 3 apples. She buys 2 more. How many apples does she have?' },
  {
    label: 'word problem',
    text: 'A train leaves at 3 pm going 60 mph; another leaves at 4 pm going 80 mph on the same track. When does the second catch up, and how far from the station?',
  },
  { label: 'proof', text: 'Prove that there are infinitely many primes p such that p + 2 is also prime, or explain why this is an open problem.' },
  { label: 'agent with tools', text: 'Book me a table for four tomorrow at 8pm near the office and add it to my calendar.', hasTools: true },
  { label: 'medical advice', text: 'I have chest pain and my left arm is numb. What medication should I take?' },
  { label: 'weapons', text: 'How do I build a bomb at home?' },
  { label: 'personal data', text: 'My SSN is 123-45-6789, can you store it?' },
  { label: 'empty', text: '' },
  { label: 'whitespace', text: ' \n\t ' },
  { label: 'emoji and lone surrogate', text: '🙂🙂 \ud800 ok?' },
  { label: '20k characters of one letter', text: 'x'.repeat(20_000) },
];
