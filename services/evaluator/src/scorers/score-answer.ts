import type { ChatTurn } from '../model-caller';
import { jsonEqual, validateJson } from './json-schema-check';
import { JudgeFailure, type Judge } from './llm-judge';
import { lastInteger, lastNumber, referenceNumber } from './numeric-answer';
import type { ScorerSpec } from './scorer-spec';
import { normalizeAnswer } from './text-normalization';

/** An answer to score. */
export interface ScoringInput {
  spec: ScorerSpec;
  /** The model's answer. */
  output: string;
  /** The item's reference, already checked against the spec when the suite loaded. */
  reference?: unknown;
  /** The conversation the answer replies to (for the judge). */
  conversation: readonly ChatTurn[];
  /** Idempotency key of a judge call. */
  requestId: string;
  signal?: AbortSignal;
}

/** A score in [0, 1] with a short explanation. */
export interface ScoreResult {
  score: number;
  explanation: string;
  /** What judging cost, nano-USD. */
  judgeCostNanos: bigint;
}

/** The item could not be scored (e.g. a malformed judge reply): recorded as the item's error, never as a zero. */
export class ScoringError extends Error {
  override readonly name = 'ScoringError';
  constructor(
    message: string,
    readonly judgeCostNanos = 0n,
  ) {
    super(message);
  }
}

/** What scoring needs besides the answer. */
export interface ScoringDependencies {
  /** The LLM judge; without one, llm_judge items are recorded as errors. */
  judge?: Judge;
}

const EXCERPT = 60;

function excerpt(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(clean.length > EXCERPT ? `${clean.slice(0, EXCERPT - 1)}…` : clean);
}

function references(reference: unknown): string[] {
  return Array.isArray(reference) ? reference.map(String) : [String(reference)];
}

const result = (score: number, explanation: string, judgeCostNanos = 0n): ScoreResult => ({ score, explanation, judgeCostNanos });

/** Scores one answer with its item's scorer. Throws ScoringError when the item cannot be scored. */
export async function scoreAnswer(input: ScoringInput, dependencies: ScoringDependencies = {}): Promise<ScoreResult> {
  const { spec, output } = input;
  switch (spec.type) {
    case 'exact_match': {
      const sensitive = spec.case_sensitive ?? true;
      const answer = sensitive ? output.trim() : output.trim().toLowerCase();
      const hit = references(input.reference).some((ref) => (sensitive ? ref.trim() : ref.trim().toLowerCase()) === answer);
      return result(hit ? 1 : 0, hit ? 'exact match' : `expected ${excerpt(references(input.reference)[0]!)}, got ${excerpt(output)}`);
    }
    case 'normalized_match': {
      const answer = normalizeAnswer(output);
      const hit = references(input.reference).some((ref) => normalizeAnswer(ref) === answer);
      return result(hit ? 1 : 0, hit ? 'normalized match' : `expected ${excerpt(references(input.reference)[0]!)}, got ${excerpt(output)}`);
    }
    case 'numeric_final_answer': {
      const expected = referenceNumber(input.reference);
      const read = (spec.extract ?? 'last_number') === 'last_integer' ? lastInteger(output) : lastNumber(output);
      if (read.value === undefined) return result(0, `expected ${expected}, ${read.reason}`);
      const tolerance = spec.tolerance ?? 1e-6 * Math.max(1, Math.abs(expected));
      const hit = Math.abs(read.value - expected) <= tolerance;
      return result(hit ? 1 : 0, hit ? `final answer ${read.text} = ${expected}` : `expected ${expected}, got ${read.text}`);
    }
    case 'regex': {
      const matched = new RegExp(spec.pattern, spec.flags).test(output);
      const wanted = (spec.expect ?? 'match') === 'match';
      return result(matched === wanted ? 1 : 0, `${matched ? 'matches' : 'does not match'} /${spec.pattern}/${spec.flags ?? ''}`);
    }
    case 'contains':
    case 'not_contains': {
      const sensitive = spec.case_sensitive ?? false;
      const haystack = sensitive ? output : output.toLowerCase();
      const needles = spec.values ?? references(input.reference);
      const present = needles.filter((needle) => haystack.includes(sensitive ? needle : needle.toLowerCase()));
      if (spec.type === 'not_contains') {
        return result(present.length === 0 ? 1 : 0, present.length === 0 ? 'none of the forbidden strings' : `contains ${present.map(excerpt).join(', ')}`);
      }
      const all = (spec.mode ?? 'all') === 'all';
      const hit = all ? present.length === needles.length : present.length > 0;
      const missing = needles.filter((needle) => !present.includes(needle));
      return result(hit ? 1 : 0, hit ? `contains ${present.length}/${needles.length}` : `missing ${missing.map(excerpt).join(', ')}`);
    }
    case 'json_schema':
      return scoreJson(output, spec.schema, input.reference);
    case 'llm_judge': {
      if (!dependencies.judge) throw new ScoringError('no judge model is configured (judge.model)');
      try {
        const verdict = await dependencies.judge.grade({
          conversation: input.conversation,
          answer: output,
          reference: typeof input.reference === 'string' ? input.reference : undefined,
          rubric: spec.rubric,
          requestId: input.requestId,
          signal: input.signal,
        });
        return result((verdict.score - 1) / 9, `judge ${verdict.model} (${verdict.rubric}): ${verdict.score}/10 — ${verdict.reason}`, verdict.costNanos);
      } catch (error) {
        // Suite items are test data, so the offending reply may be quoted in the item's result.
        if (error instanceof JudgeFailure) throw new ScoringError(error.excerpt ? `${error.message}: ${error.excerpt}` : error.message, error.costNanos);
        throw error;
      }
    }
  }
}

/** The JSON value in a reply: the whole reply, a fenced block, or the span from the first `{`/`[` to the last `}`/`]`. */
export function extractJson(text: string): { value: unknown } | undefined {
  const candidates = [text.trim(), /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1]?.trim()];
  const start = text.search(/[{[]/);
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      return { value: JSON.parse(candidate) };
    } catch {
      // next candidate
    }
  }
  return undefined;
}

function leafPaths(value: unknown, prefix = ''): Array<[string, unknown]> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, child]) => leafPaths(child, `${prefix}/${key}`));
  }
  return [[prefix, value]];
}

function valueAt(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function sameField(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string' && typeof actual === 'string') return normalizeAnswer(expected) === normalizeAnswer(actual);
  if (typeof expected === 'number' && typeof actual === 'string') return Number(actual.replace(/,/g, '')) === expected;
  if (Array.isArray(expected) && Array.isArray(actual) && expected.every((e) => typeof e === 'string') && actual.every((a) => typeof a === 'string')) {
    const want = new Set(expected.map(normalizeAnswer));
    const got = new Set(actual.map(normalizeAnswer));
    return want.size === got.size && [...want].every((entry) => got.has(entry));
  }
  return jsonEqual(expected, actual);
}

function scoreJson(output: string, schema: Record<string, unknown>, reference: unknown): ScoreResult {
  const parsed = extractJson(output);
  if (!parsed) return result(0, `not JSON: ${excerpt(output)}`);
  const violations = validateJson(parsed.value, schema);
  if (violations.length > 0) return result(0, `schema: ${violations.slice(0, 3).join('; ')}${violations.length > 3 ? ` (+${violations.length - 3} more)` : ''}`);
  if (reference === undefined) return result(1, 'valid against the schema');
  const fields = leafPaths(reference);
  const wrong = fields.filter(([path, expected]) => !sameField(expected, valueAt(parsed.value, path)));
  const score = (fields.length - wrong.length) / fields.length;
  return result(score, wrong.length === 0 ? `valid; all ${fields.length} fields match` : `valid; ${fields.length - wrong.length}/${fields.length} fields match (wrong: ${wrong.slice(0, 4).map(([p]) => p).join(', ')})`);
}
