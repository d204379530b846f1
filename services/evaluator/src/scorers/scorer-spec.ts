import { z } from 'zod';
import { schemaProblems } from './json-schema-check';
import { JUDGE_RUBRICS } from './judge-rubrics';

/** How numeric_final_answer finds the answer in a reply. */
export const NUMERIC_EXTRACTIONS = ['last_number', 'last_integer'] as const;

const caseSensitive = z.boolean().optional();

const specSchemas = {
  /** The trimmed reply equals the reference (or one of the references). */
  exact_match: z.strictObject({ type: z.literal('exact_match'), case_sensitive: caseSensitive }),
  /** Equal after normalisation: case, punctuation, articles and whitespace ignored. */
  normalized_match: z.strictObject({ type: z.literal('normalized_match') }),
  /** The reply's final number equals the numeric reference. */
  numeric_final_answer: z.strictObject({
    type: z.literal('numeric_final_answer'),
    extract: z.enum(NUMERIC_EXTRACTIONS).optional(),
    tolerance: z.number().nonnegative().optional(),
  }),
  /** The reply matches (or, with expect "no_match", does not match) a regular expression. */
  regex: z.strictObject({
    type: z.literal('regex'),
    pattern: z.string().min(1),
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'flags may only use i, m, s and u')
      .optional(),
    expect: z.enum(['match', 'no_match']).optional(),
  }),
  /** The reply is JSON valid against a schema; with an object reference, the share of its fields reproduced. */
  json_schema: z.strictObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }),
  /** The reply contains all (or any) of the values (or the reference's). */
  contains: z.strictObject({
    type: z.literal('contains'),
    values: z.array(z.string().min(1)).min(1).optional(),
    mode: z.enum(['all', 'any']).optional(),
    case_sensitive: caseSensitive,
  }),
  /** The reply contains none of the values (or the reference's). */
  not_contains: z.strictObject({
    type: z.literal('not_contains'),
    values: z.array(z.string().min(1)).min(1).optional(),
    case_sensitive: caseSensitive,
  }),
  /** A pinned judge model grades the reply 1-10 with a versioned rubric. */
  llm_judge: z.strictObject({ type: z.literal('llm_judge'), rubric: z.string().optional() }),
} as const;

/** The scorer names a suite may use. */
export type ScorerType = keyof typeof specSchemas;

/** Every scorer name, in documentation order. */
export const SCORER_TYPES = Object.keys(specSchemas) as ScorerType[];

/** A validated scorer spec, as written in a suite file. */
export type ScorerSpec = { [K in ScorerType]: z.infer<(typeof specSchemas)[K]> }[ScorerType];

/** What a scorer needs of an item's `reference`. */
export type ReferenceNeed = 'required' | 'optional' | 'unused';

/** Parses a scorer spec; returns the spec or one human-readable reason. */
export function parseScorerSpec(raw: unknown): { spec: ScorerSpec } | { error: string } {
  if (typeof raw === 'string') raw = { type: raw };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { error: 'scorer must be an object like {"type": "exact_match"}' };
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') return { error: 'scorer.type is missing' };
  if (!(type in specSchemas)) return { error: `unknown scorer "${type}" (known: ${SCORER_TYPES.join(', ')})` };
  const parsed = specSchemas[type as ScorerType].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `scorer.${issue.path.join('.')}` : 'scorer';
    const detail = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}` : issue.message;
    return { error: `${type}: ${where}: ${detail}` };
  }
  const spec = parsed.data as ScorerSpec;
  const extra = extraProblem(spec);
  return extra ? { error: `${type}: ${extra}` } : { spec };
}

function extraProblem(spec: ScorerSpec): string | undefined {
  switch (spec.type) {
    case 'regex':
      try {
        new RegExp(spec.pattern, spec.flags);
      } catch (error) {
        return `scorer.pattern is not a valid regular expression (${(error as Error).message})`;
      }
      return undefined;
    case 'json_schema': {
      const problems = schemaProblems(spec.schema);
      return problems.length > 0 ? `scorer.schema: ${problems[0]}` : undefined;
    }
    case 'llm_judge':
      if (spec.rubric !== undefined && !JUDGE_RUBRICS.has(spec.rubric)) return `unknown rubric "${spec.rubric}" (known: ${[...JUDGE_RUBRICS.keys()].join(', ')})`;
      return undefined;
    default:
      return undefined;
  }
}

/** Whether the scorer needs, may use or ignores an item's reference. */
export function referenceNeed(spec: ScorerSpec): ReferenceNeed {
  switch (spec.type) {
    case 'exact_match':
    case 'normalized_match':
    case 'numeric_final_answer':
      return 'required';
    case 'contains':
    case 'not_contains':
      return spec.values ? 'unused' : 'required';
    case 'json_schema':
    case 'llm_judge':
      return 'optional';
    case 'regex':
      return 'unused';
  }
}

/** Checks an item's reference against what its scorer needs; returns a reason when it does not fit. */
export function referenceProblem(spec: ScorerSpec, reference: unknown): string | undefined {
  const need = referenceNeed(spec);
  if (reference === undefined || reference === null) {
    return need === 'required' ? `scorer ${spec.type} needs a "reference"${spec.type.endsWith('contains') ? ' (or scorer.values)' : ''}` : undefined;
  }
  switch (spec.type) {
    case 'exact_match':
    case 'normalized_match':
    case 'contains':
    case 'not_contains':
      return isStringOrStrings(reference) ? undefined : `scorer ${spec.type} needs a string reference (or an array of strings)`;
    case 'numeric_final_answer':
      return typeof reference === 'number' || (typeof reference === 'string' && Number.isFinite(Number(reference.replace(/,/g, ''))) && reference.trim() !== '')
        ? undefined
        : 'scorer numeric_final_answer needs a numeric reference (a number or a numeric string)';
    case 'json_schema':
      return typeof reference === 'object' && !Array.isArray(reference) ? undefined : 'scorer json_schema takes an object reference (the expected fields)';
    case 'llm_judge':
      return typeof reference === 'string' ? undefined : 'scorer llm_judge takes a string reference (a model answer shown to the judge)';
    case 'regex':
      return undefined;
  }
}

function isStringOrStrings(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string'));
}
