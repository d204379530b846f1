import committedModel from './model/routing-model.json';
import { createLearnedClassifier } from './learned-classifier';
import { loadRoutingModel } from './routing-model';

const PROMPTS = [
  'Which planet is closest to the sun?\nA. Venus\nB. Mercury\nC. Mars\nD. Earth\nAnswer:',
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
  'hi',
  '',
  ' \n\t ',
  '请用中文解释量子纠缠是什么。',
  '🙂 \ud800 lone surrogate',
  'x'.repeat(50_000),
  'function f() { return [1, 2, 3].map((x) => x * 2); }',
];

describe('createLearnedClassifier', () => {
  const classifier = createLearnedClassifier();

  it('reports the artifact version', () => {
    expect(classifier.version).toBe(committedModel.version);
    expect(classifier.classify({ text: 'hi' }).classifierVersion).toBe(committedModel.version);
  });

  it.each(PROMPTS.map((text) => [text.slice(0, 30), text]))('scores %j within [0, 1]', (_label, text) => {
    const result = classifier.classify({ text });
    expect(result.difficulty).toBeGreaterThanOrEqual(0);
    expect(result.difficulty).toBeLessThanOrEqual(1);
    expect(result.safetyScore).toBeGreaterThanOrEqual(0);
    expect(result.safetyScore).toBeLessThanOrEqual(1);
    expect(Number.isInteger(result.expectedOutputTokens)).toBe(true);
  });

  it('is deterministic across calls and instances, whatever was scored in between', () => {
    const first = PROMPTS.map((text) => classifier.classify({ text }));
    const other = createLearnedClassifier(loadRoutingModel(committedModel));
    const second = [...PROMPTS].reverse().map((text) => other.classify({ text })).reverse();
    expect(second).toEqual(first);
  });

  it('does not throw on input that is not a string', () => {
    expect(classifier.classify({ text: undefined as unknown as string }).difficulty).toBeGreaterThan(0);
  });

  it('refuses an artifact whose self-check no longer matches the feature code', () => {
    const drifted = JSON.parse(JSON.stringify(committedModel));
    drifted.selfCheck[0].probability = 0.123;
    expect(() => createLearnedClassifier(loadRoutingModel(drifted))).toThrow(/does not match this classifier's feature code/);
  });

  it('ranks prompts outside the training data sensibly', () => {
    const score = (text: string, hasTools = false) => classifier.classify({ text, hasTools }).difficulty;
    const greeting = score('Hello! How are you today?');
    expect(score('Implement a lock-free concurrent hash map in Rust and prove that resizing is linearizable.')).toBeGreaterThan(greeting);
    expect(score('Prove that the square root of 2 is irrational, step by step.')).toBeGreaterThan(greeting);
    expect(score('Book a table for four tomorrow at 8pm and add it to my calendar.', true)).toBeGreaterThan(greeting);
    expect(score('Write a haiku about autumn leaves.')).toBeLessThan(score('Write a Python function that parses ISO 8601 dates.'));
  });
});
