import { lastInteger, lastNumber } from './numeric-answer';

describe('lastInteger (RouteLLM rule)', () => {
  it.each([
    ['She makes 9 * $2 = $18 every day.', 18],
    ['#### 1,296', 1296],
    ['It takes 4.5 hours', 5],
    ['It takes -4.5 hours', 5],
    ['The loss is -12 dollars', 12],
    ['0 apples left', 0],
    ['00 left', 0],
  ])('reads %j as %d', (text, value) => {
    expect(lastInteger(text).value).toBe(value);
  });

  it.each([['no digits here'], ['approximately 0.001136 Mb'], ['#### 05'], ['It takes 4.05 hours']])('finds no valid integer in %j', (text) => {
    expect(lastInteger(text).value).toBeUndefined();
  });
});

describe('lastNumber (general rule)', () => {
  it.each([
    ['So the total is $1,296.50.', 1296.5],
    ['Step 1: 3 + 4 = 7\n#### 42\nThanks for asking 5 questions', 42],
    ['The answer is -3.', -3],
    ['\\boxed{3/4} is the probability', 0.75],
    ['Final answer: 12 apples', 12],
    ['From 3-5 people', 5],
  ])('reads %j as %d', (text, value) => {
    expect(lastNumber(text).value).toBeCloseTo(value, 10);
  });

  it('reports a reply without numbers', () => {
    expect(lastNumber('I do not know')).toEqual({ value: undefined, reason: 'no number in the answer' });
  });
});
