import { schemaProblems, validateJson } from './json-schema-check';

const contact = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0 }, tags: { type: 'array', items: { type: 'string' }, maxItems: 2 }, kind: { enum: ['a', 'b'] } },
  required: ['name'],
  additionalProperties: false,
};

describe('JSON schema subset', () => {
  it('accepts a valid value', () => {
    expect(validateJson({ name: 'Ana', age: 3, tags: ['x'], kind: 'a' }, contact)).toEqual([]);
  });

  it.each([
    [{ age: 3 }, '/name: required'],
    [{ name: '' }, '/name: shorter than 1'],
    [{ name: 'A', age: 1.5 }, '/age: expected integer, got number'],
    [{ name: 'A', age: -1 }, '/age: -1 < minimum 0'],
    [{ name: 'A', tags: ['a', 'b', 'c'] }, '/tags: more than 2 items'],
    [{ name: 'A', tags: [1] }, '/tags/0: expected string, got number'],
    [{ name: 'A', kind: 'c' }, '/kind: not one of ["a","b"]'],
    [{ name: 'A', extra: true }, '/extra: no value is allowed here'],
    ['text', '/: expected object, got string'],
  ])('reports %j', (value, violation) => {
    expect(validateJson(value, contact)).toContain(violation);
  });

  it('handles anyOf, oneOf, not and nullable types', () => {
    expect(validateJson(null, { type: ['string', 'null'] })).toEqual([]);
    expect(validateJson(3, { anyOf: [{ type: 'string' }, { type: 'integer' }] })).toEqual([]);
    expect(validateJson(3, { oneOf: [{ type: 'number' }, { type: 'integer' }] })).toEqual(['/: matches 2 of oneOf (exactly 1 required)']);
    expect(validateJson('x', { not: { type: 'string' } })).toEqual(['/: matches "not"']);
  });

  it('rejects schemas it cannot check instead of ignoring keywords', () => {
    expect(schemaProblems(contact)).toEqual([]);
    expect(schemaProblems({ type: 'object', patternProperties: {} })).toEqual(['#: unsupported keyword "patternProperties"']);
    expect(schemaProblems({ type: 'strng' })).toEqual(['#/type: unknown type "strng"']);
    expect(schemaProblems({ properties: { a: { minimum: 'x' } } })).toEqual(['#/properties/a/minimum: must be a number']);
  });
});
