/** A JSON Schema document, as far as the fakes read it. */
export type JsonSchema = { [keyword: string]: unknown };

const MAX_DEPTH = 8;

/**
 * Builds a value that satisfies a simple JSON Schema: objects get every declared property
 * (so `required` and `additionalProperties: false` both hold), arrays get `minItems` (at least one)
 * items, strings honour `enum`/`const`/`minLength`, numbers honour `minimum`. Local `$ref`s into
 * `$defs`/`definitions` are followed. Deterministic: the same schema always gives the same value.
 */
export function sampleJsonSchema(schema: JsonSchema | undefined, root: JsonSchema | undefined = schema): unknown {
  return sample(schema ?? {}, root ?? {}, 'value', 0);
}

function sample(schema: JsonSchema, root: JsonSchema, name: string, depth: number): unknown {
  if (depth > MAX_DEPTH) return null;
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  if ('default' in schema) return schema['default'];
  const ref = schema['$ref'];
  if (typeof ref === 'string') return sample(resolveRef(ref, root), root, name, depth + 1);
  for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
    const options = schema[keyword];
    if (Array.isArray(options) && options.length > 0) {
      const usable = options.find((option) => asSchema(option)['type'] !== 'null') ?? options[0];
      return sample({ ...schema, [keyword]: undefined, ...asSchema(usable) }, root, name, depth + 1);
    }
  }
  switch (schemaType(schema)) {
    case 'object':
      return sampleObject(schema, root, depth);
    case 'array': {
      const items = asSchema(schema['items']);
      const count = Math.max(1, numberOr(schema['minItems'], 1));
      return Array.from({ length: count }, () => sample(items, root, name, depth + 1));
    }
    case 'integer':
      return Math.ceil(numberOr(schema['minimum'], 1));
    case 'number':
      return numberOr(schema['minimum'], 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string':
      return sampleString(schema, name);
    default:
      return schema['properties'] ? sampleObject(schema, root, depth) : sampleString(schema, name);
  }
}

function sampleObject(schema: JsonSchema, root: JsonSchema, depth: number): Record<string, unknown> {
  const properties = asSchema(schema['properties']);
  const result: Record<string, unknown> = {};
  for (const [key, propertySchema] of Object.entries(properties)) {
    result[key] = sample(asSchema(propertySchema), root, key, depth + 1);
  }
  // Required names without a declared schema still have to be present.
  if (Array.isArray(schema['required'])) {
    for (const key of schema['required']) {
      if (typeof key === 'string' && !(key in result)) result[key] = sampleString({}, key);
    }
  }
  return result;
}

function sampleString(schema: JsonSchema, name: string): string {
  const format = schema['format'];
  if (format === 'date-time') return '2024-01-01T00:00:00Z';
  if (format === 'date') return '2024-01-01';
  if (format === 'email') return 'user@example.com';
  if (format === 'uri' || format === 'url') return 'https://example.com';
  if (format === 'uuid') return '00000000-0000-4000-8000-000000000000';
  let value = `example ${name}`;
  const minLength = numberOr(schema['minLength'], 0);
  while (value.length < minLength) value += ' x';
  const maxLength = schema['maxLength'];
  return typeof maxLength === 'number' ? value.slice(0, maxLength) : value;
}

function schemaType(schema: JsonSchema): string | undefined {
  const type = schema['type'];
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? 'null';
  return typeof type === 'string' ? type : undefined;
}

function resolveRef(ref: string, root: JsonSchema): JsonSchema {
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = asSchema(node)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return asSchema(node);
}

function asSchema(value: unknown): JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : {};
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
