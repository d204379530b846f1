// A small JSON Schema (draft 2020-12 subset) validator: the keywords structured-output schemas use.
// A schema with a keyword outside the subset is rejected when the suite loads, never silently ignored.

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
/** Keywords that only annotate (never change validity). */
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples', 'format', '$comment']);
const KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);

/** Problems with a schema itself (unsupported keywords, wrong keyword values), with their paths. */
export function schemaProblems(schema: unknown, path = '#'): string[] {
  if (typeof schema === 'boolean') return [];
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [`${path}: a schema must be an object`];
  const problems: string[] = [];
  const record = schema as JsonSchema;
  for (const [key, value] of Object.entries(record)) {
    if (ANNOTATIONS.has(key)) continue;
    if (!KEYWORDS.has(key)) {
      problems.push(`${path}: unsupported keyword "${key}"`);
      continue;
    }
    switch (key) {
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) problems.push(`${path}/type: unknown type ${JSON.stringify(value)}`);
        break;
      }
      case 'properties':
        if (typeof value !== 'object' || value === null || Array.isArray(value)) problems.push(`${path}/properties: must be an object`);
        else for (const [name, child] of Object.entries(value)) problems.push(...schemaProblems(child, `${path}/properties/${name}`));
        break;
      case 'required':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) problems.push(`${path}/required: must be an array of strings`);
        break;
      case 'additionalProperties':
      case 'items':
      case 'not':
        problems.push(...schemaProblems(value, `${path}/${key}`));
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
        if (!Array.isArray(value) || value.length === 0) problems.push(`${path}/${key}: must be a non-empty array`);
        else value.forEach((child, index) => problems.push(...schemaProblems(child, `${path}/${key}/${index}`)));
        break;
      case 'enum':
        if (!Array.isArray(value)) problems.push(`${path}/enum: must be an array`);
        break;
      case 'pattern':
        try {
          new RegExp(String(value), 'u');
        } catch {
          problems.push(`${path}/pattern: not a valid regular expression`);
        }
        break;
      case 'const':
        break;
      default:
        if (typeof value !== 'number') problems.push(`${path}/${key}: must be a number`);
    }
  }
  return problems;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeOf(value) === type;
  }
}

/** Deep equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((entry, i) => jsonEqual(entry, (b as unknown[])[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((key) => jsonEqual((a as JsonSchema)[key], (b as JsonSchema)[key]));
}

/** Violations of `value` against `schema` (assumed free of schemaProblems), each with its JSON pointer; empty when valid. */
export function validateJson(value: unknown, schema: unknown, pointer = ''): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${pointer || '/'}: no value is allowed here`];
  const s = schema as JsonSchema;
  const at = pointer || '/';
  const violations: string[] = [];
  if (s.type !== undefined) {
    const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
    if (!types.some((type) => matchesType(value, type))) return [`${at}: expected ${types.join(' or ')}, got ${typeOf(value)}`];
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((option) => jsonEqual(option, value))) violations.push(`${at}: not one of ${JSON.stringify(s.enum)}`);
  if (s.const !== undefined && !jsonEqual(s.const, value)) violations.push(`${at}: must equal ${JSON.stringify(s.const)}`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) violations.push(`${at}: ${value} < minimum ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) violations.push(`${at}: ${value} > maximum ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) violations.push(`${at}: ${value} <= exclusiveMinimum ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) violations.push(`${at}: ${value} >= exclusiveMaximum ${s.exclusiveMaximum}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof s.minLength === 'number' && length < s.minLength) violations.push(`${at}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && length > s.maxLength) violations.push(`${at}: longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) violations.push(`${at}: does not match ${s.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) violations.push(`${at}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) violations.push(`${at}: more than ${s.maxItems} items`);
    if (s.items !== undefined) value.forEach((entry, index) => violations.push(...validateJson(entry, s.items, `${pointer}/${index}`)));
  }
  if (matchesType(value, 'object')) {
    const record = value as JsonSchema;
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    for (const name of (s.required ?? []) as string[]) if (!(name in record)) violations.push(`${pointer}/${name}: required`);
    for (const [name, child] of Object.entries(record)) {
      if (name in properties) violations.push(...validateJson(child, properties[name], `${pointer}/${name}`));
      else if (s.additionalProperties !== undefined) violations.push(...validateJson(child, s.additionalProperties, `${pointer}/${name}`));
    }
  }
  if (Array.isArray(s.allOf)) for (const child of s.allOf) violations.push(...validateJson(value, child, pointer));
  if (Array.isArray(s.anyOf) && !s.anyOf.some((child) => validateJson(value, child, pointer).length === 0)) violations.push(`${at}: matches none of anyOf`);
  if (Array.isArray(s.oneOf)) {
    const matching = s.oneOf.filter((child) => validateJson(value, child, pointer).length === 0).length;
    if (matching !== 1) violations.push(`${at}: matches ${matching} of oneOf (exactly 1 required)`);
  }
  if (s.not !== undefined && validateJson(value, s.not, pointer).length === 0) violations.push(`${at}: matches "not"`);
  return violations;
}
