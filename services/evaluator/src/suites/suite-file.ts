import { createHash } from 'node:crypto';
import type { CallParams, ChatTurn } from '../model-caller';
import { parseScorerSpec, referenceProblem, type ScorerSpec } from '../scorers/scorer-spec';
import { isTaskClassName, TASK_CLASSES, type TaskClassName } from '../task-classes';

/** One item of a suite: what to ask, what a good answer is, and how to score it. */
export interface SuiteItem {
  /** Unique within the suite, e.g. "gsm8k/4". */
  id: string;
  /** Position in the file (0-based); `limit` takes the first N. */
  index: number;
  taskClass: TaskClassName;
  /** The conversation sent to the model (the header's system prompt included). */
  messages: ChatTurn[];
  /** The reference answer, in the shape its scorer needs; absent when the scorer needs none. */
  reference?: unknown;
  scorer: ScorerSpec;
  params: CallParams;
}

/** A parsed, validated suite file. */
export interface Suite {
  name: string;
  version: string;
  description: string;
  /** sha256 of the file's bytes: runs pin it. */
  sha256: string;
  items: SuiteItem[];
  /** The distinct scorer types used, in first-use order. */
  scorers: string[];
}

/** One problem in a suite file. */
export interface SuiteProblem {
  /** 1-based line number. */
  line: number;
  reason: string;
}

/** A suite file that cannot be used, with every problem found (line number and reason). */
export class SuiteFileError extends Error {
  override readonly name = 'SuiteFileError';
  constructor(
    readonly source: string,
    readonly problems: readonly SuiteProblem[],
  ) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  line ${p.line}: ${p.reason}`).join('\n')}`);
  }
}

const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const VERSION_PATTERN = /^[0-9][0-9a-z.-]{0,31}$/;
const HEADER_FIELDS = new Set(['suite', 'version', 'description', 'scorer', 'task_class', 'system', 'params']);
const ITEM_FIELDS = new Set(['id', 'task_class', 'prompt', 'messages', 'reference', 'scorer', 'params', 'metadata']);
const PARAM_FIELDS = new Set(['temperature', 'max_output_tokens', 'json_output']);
const ROLES = new Set(['system', 'user', 'assistant']);
const MAX_PROBLEMS = 50;

type Json = Record<string, unknown>;

/**
 * Parses a suite file (JSONL). The first non-blank line is the header
 * `{"suite": NAME, "version": V, "description", "scorer", "task_class", "system", "params"}`;
 * every other non-blank line is an item
 * `{"id", "task_class", "prompt" | "messages", "reference", "scorer", "params", "metadata"}`.
 * Item fields override the header's defaults. Throws SuiteFileError listing each bad line and why.
 */
export function parseSuiteText(text: string, source: string): Suite {
  const problems: SuiteProblem[] = [];
  const report = (line: number, reason: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ line, reason });
  };
  const lines = text.split('\n');
  let header: { name: string; version: string; description: string; scorer?: ScorerSpec; taskClass?: TaskClassName; system?: string; params: CallParams } | undefined;
  const items: SuiteItem[] = [];
  const seen = new Map<string, number>();
  // After an unreadable header only JSON syntax is checked: every item would otherwise repeat the header's problem.
  let headerBroken = false;

  for (const [offset, raw] of lines.entries()) {
    const line = offset + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      report(line, `malformed JSON (${(error as Error).message})`);
      if (!header) {
        header = { name: '', version: '', description: '', params: {} };
        headerBroken = true;
      }
      continue;
    }
    if (headerBroken) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      report(line, 'each line must be a JSON object');
      continue;
    }
    const record = value as Json;
    if (!header) {
      header = parseHeader(record, line, report);
      headerBroken = !('suite' in record);
      continue;
    }
    const item = parseItem(record, line, items.length, header, report);
    if (!item) continue;
    const previous = seen.get(item.id);
    if (previous !== undefined) {
      report(line, `duplicate id "${item.id}" (first on line ${previous})`);
      continue;
    }
    seen.set(item.id, line);
    items.push(item);
  }
  if (!header) report(1, 'empty file: the first line must be the suite header {"suite": NAME, "version": VERSION}');
  else if (items.length === 0 && problems.length === 0) report(lines.length, 'the suite has no items');
  if (problems.length > 0) throw new SuiteFileError(source, problems);

  const scorers = [...new Set(items.map((item) => item.scorer.type))];
  return {
    name: header!.name,
    version: header!.version,
    description: header!.description,
    sha256: createHash('sha256').update(text).digest('hex'),
    items,
    scorers,
  };
}

function parseHeader(record: Json, line: number, report: (line: number, reason: string) => void) {
  const header = { name: '', version: '', description: '', params: {} as CallParams } as {
    name: string;
    version: string;
    description: string;
    scorer?: ScorerSpec;
    taskClass?: TaskClassName;
    system?: string;
    params: CallParams;
  };
  if (!('suite' in record)) {
    report(line, 'the first line must be the suite header {"suite": NAME, "version": VERSION, ...}');
    return header;
  }
  for (const key of Object.keys(record)) if (!HEADER_FIELDS.has(key)) report(line, `header: unknown field "${key}"`);
  if (typeof record.suite !== 'string' || !NAME_PATTERN.test(record.suite)) report(line, 'header: "suite" must be a lower-case name like "gsm8k"');
  else header.name = record.suite;
  if (typeof record.version !== 'string' || !VERSION_PATTERN.test(record.version)) report(line, 'header: "version" must be a string like "1"');
  else header.version = record.version;
  if (record.description !== undefined) {
    if (typeof record.description !== 'string') report(line, 'header: "description" must be a string');
    else header.description = record.description;
  }
  if (record.scorer !== undefined) {
    const parsed = parseScorerSpec(record.scorer);
    if ('error' in parsed) report(line, `header: ${parsed.error}`);
    else header.scorer = parsed.spec;
  }
  if (record.task_class !== undefined) {
    if (!isTaskClassName(record.task_class)) report(line, `header: unknown task_class ${JSON.stringify(record.task_class)} (known: ${TASK_CLASSES.join(', ')})`);
    else header.taskClass = record.task_class;
  }
  if (record.system !== undefined) {
    if (typeof record.system !== 'string' || record.system.trim() === '') report(line, 'header: "system" must be a non-empty string');
    else header.system = record.system;
  }
  if (record.params !== undefined) header.params = parseParams(record.params, line, 'header', report);
  return header;
}

function parseItem(
  record: Json,
  line: number,
  index: number,
  header: { scorer?: ScorerSpec; taskClass?: TaskClassName; system?: string; params: CallParams },
  report: (line: number, reason: string) => void,
): SuiteItem | undefined {
  const before = { count: 0 };
  const note = (reason: string) => {
    before.count++;
    report(line, reason);
  };
  for (const key of Object.keys(record)) if (!ITEM_FIELDS.has(key)) note(`unknown field "${key}"`);
  const id = record.id;
  if (typeof id !== 'string' || id.trim() === '' || id.length > 200) note('"id" must be a non-empty string (at most 200 characters)');

  const taskClass = record.task_class ?? header.taskClass;
  if (taskClass === undefined) note('"task_class" is missing (and the header gives no default)');
  else if (!isTaskClassName(taskClass)) note(`unknown task_class ${JSON.stringify(taskClass)} (known: ${TASK_CLASSES.join(', ')})`);

  const messages = parseMessages(record, note);
  if (messages && header.system && messages[0]?.role !== 'system') messages.unshift({ role: 'system', content: header.system });

  let scorer: ScorerSpec | undefined;
  if (record.scorer !== undefined) {
    const parsed = parseScorerSpec(record.scorer);
    if ('error' in parsed) note(parsed.error);
    else scorer = parsed.spec;
  } else if (header.scorer) scorer = header.scorer;
  else note('no scorer: give "scorer" on the item or a default in the header');

  if (scorer) {
    const problem = referenceProblem(scorer, record.reference);
    if (problem) note(problem);
  }
  const params = record.params !== undefined ? { ...header.params, ...parseParams(record.params, line, 'item', report) } : { ...header.params };
  if (before.count > 0 || !messages || !scorer) return undefined;
  return {
    id: id as string,
    index,
    taskClass: taskClass as TaskClassName,
    messages,
    ...(record.reference !== undefined && record.reference !== null ? { reference: record.reference } : {}),
    scorer,
    params,
  };
}

function parseMessages(record: Json, note: (reason: string) => void): ChatTurn[] | undefined {
  const hasPrompt = record.prompt !== undefined;
  const hasMessages = record.messages !== undefined;
  if (hasPrompt === hasMessages) {
    note('give exactly one of "prompt" (a string) or "messages" (an array of {role, content})');
    return undefined;
  }
  if (hasPrompt) {
    if (typeof record.prompt !== 'string' || record.prompt.trim() === '') {
      note('"prompt" must be a non-empty string');
      return undefined;
    }
    return [{ role: 'user', content: record.prompt }];
  }
  if (!Array.isArray(record.messages) || record.messages.length === 0) {
    note('"messages" must be a non-empty array');
    return undefined;
  }
  const turns: ChatTurn[] = [];
  for (const [i, message] of record.messages.entries()) {
    const m = message as Json;
    if (typeof m !== 'object' || m === null || !ROLES.has(m.role as string) || typeof m.content !== 'string' || m.content === '') {
      note(`messages[${i}] must be {"role": "system" | "user" | "assistant", "content": non-empty string}`);
      return undefined;
    }
    turns.push({ role: m.role as ChatTurn['role'], content: m.content });
  }
  if (turns[turns.length - 1]!.role !== 'user') {
    note('the last message must be from the user');
    return undefined;
  }
  return turns;
}

function parseParams(raw: unknown, line: number, where: string, report: (line: number, reason: string) => void): CallParams {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    report(line, `${where}: "params" must be an object`);
    return {};
  }
  const record = raw as Json;
  const params: CallParams = {};
  for (const key of Object.keys(record)) if (!PARAM_FIELDS.has(key)) report(line, `${where}: unknown params field "${key}" (known: ${[...PARAM_FIELDS].join(', ')})`);
  if (record.temperature !== undefined) {
    if (typeof record.temperature !== 'number' || record.temperature < 0 || record.temperature > 2) report(line, `${where}: params.temperature must be a number in [0, 2]`);
    else params.temperature = record.temperature;
  }
  if (record.max_output_tokens !== undefined) {
    if (typeof record.max_output_tokens !== 'number' || !Number.isInteger(record.max_output_tokens) || record.max_output_tokens < 1)
      report(line, `${where}: params.max_output_tokens must be a positive integer`);
    else params.maxOutputTokens = record.max_output_tokens;
  }
  if (record.json_output !== undefined) {
    if (typeof record.json_output !== 'boolean') report(line, `${where}: params.json_output must be true or false`);
    else params.jsonOutput = record.json_output;
  }
  return params;
}
