import { sampleJsonSchema } from './json-schema-sample';

describe('sampleJsonSchema', () => {
  it.each([
    ['string', { type: 'string' }, 'example value'],
    ['integer with minimum', { type: 'integer', minimum: 3.5 }, 4],
    ['number', { type: 'number' }, 1],
    ['boolean', { type: 'boolean' }, true],
    ['enum', { enum: ['b', 'a'] }, 'b'],
    ['const', { const: 42 }, 42],
    ['nullable type array', { type: ['null', 'string'] }, 'example value'],
    ['anyOf skips null', { anyOf: [{ type: 'null' }, { type: 'integer' }] }, 1],
    ['date-time', { type: 'string', format: 'date-time' }, '2024-01-01T00:00:00Z'],
    ['array with minItems', { type: 'array', items: { type: 'boolean' }, minItems: 2 }, [true, true]],
  ])('%s', (_name, schema, expected) => {
    expect(sampleJsonSchema(schema)).toEqual(expected);
  });

  it('fills every property of nested objects and follows local $refs', () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 20 },
        home: { $ref: '#/$defs/address' },
      },
      required: ['name', 'home', 'extra'],
      additionalProperties: false,
      $defs: { address: { type: 'object', properties: { zip: { type: 'string', maxLength: 5 } } } },
    };
    const value = sampleJsonSchema(schema) as Record<string, unknown>;
    expect((value['name'] as string).length).toBeGreaterThanOrEqual(20);
    expect(value['home']).toEqual({ zip: 'examp' });
    expect(value['extra']).toBe('example extra');
  });

  it('stops at a bounded depth on recursive schemas', () => {
    const schema = { $ref: '#/$defs/node', $defs: { node: { type: 'object', properties: { child: { $ref: '#/$defs/node' } } } } };
    expect(() => JSON.stringify(sampleJsonSchema(schema))).not.toThrow();
  });
});
