import { integerArrayLiteral, textArrayLiteral } from './array-literal';
import { createTestDatabase, testBackends, type TestDatabase } from './testing/test-databases';

describe('array literals', () => {
  it.each([
    [[], '{}'],
    [[''], '{""}'],
    [['a', 'b'], '{"a","b"}'],
    [['NULL'], '{"NULL"}'],
    [['q"uote', 'back\\slash'], '{"q\\"uote","back\\\\slash"}'],
  ])('quotes %j as %s', (values, literal) => expect(textArrayLiteral(values)).toBe(literal));

  it('writes integers', () => expect(integerArrayLiteral([1n, -2n, 3])).toBe('{1,-2,3}'));
});

describe.each(testBackends())('array literals round-trip on %s', (backend) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(backend);
  });
  afterAll(() => test?.close());

  it('reads back exactly what was written', async () => {
    const texts = ['', 'plain', 'NULL', 'with "quotes"', 'back\\slash', '{braces},commas', ' spaces ', 'ünïcødé', '\u001funit'];
    const numbers = [0n, -1n, 9_223_372_036_854_775_807n];
    const { rows } = await test.database.query<{ t: string[]; n: bigint[] }>('SELECT $1::text[] AS t, $2::bigint[] AS n', [textArrayLiteral(texts), integerArrayLiteral(numbers)]);
    expect(rows[0].t).toEqual(texts);
    expect(rows[0].n.map(BigInt)).toEqual(numbers);
  });
});
