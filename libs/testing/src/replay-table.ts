import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** A recorded answer that a fake upstream serves instead of its default reply. */
export interface ReplayAnswer {
  /** The answer text, verbatim as recorded. */
  readonly text: string;
  /** The recorded output token count; when absent the fake counts `text` with cl100k. */
  readonly outputTokens?: number;
}

/** Recorded answers, looked up by served model name and prompt text. */
export interface ReplayTable {
  /** The recorded answer of `model` to `promptText` (whitespace-normalised), or undefined. */
  lookup(model: string, promptText: string): ReplayAnswer | undefined;
  /** Number of prompts in the table. */
  readonly size: number;
}

/** One row of a replay table: the prompt and each model's answer. */
export interface ReplayEntry {
  readonly prompt: string;
  /** Answers keyed by served model name. */
  readonly answers: Readonly<Record<string, ReplayAnswer>>;
}

/** Collapses runs of whitespace to one space and trims, so prompts match however they were wrapped. */
export function normalisePrompt(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Builds a replay table from rows; a later row for the same prompt adds to (and overrides) an earlier one. */
export function createReplayTable(entries: Iterable<ReplayEntry>): ReplayTable {
  const byPrompt = new Map<string, Record<string, ReplayAnswer>>();
  for (const entry of entries) {
    const key = normalisePrompt(entry.prompt);
    byPrompt.set(key, { ...byPrompt.get(key), ...entry.answers });
  }
  return {
    lookup: (model, promptText) => byPrompt.get(normalisePrompt(promptText))?.[model],
    get size() {
      return byPrompt.size;
    },
  };
}

/** Which served model names get the strong and which the weak recorded answer. */
export interface Gsm8kReplayOptions {
  readonly strongModel: string | readonly string[];
  readonly weakModel: string | readonly string[];
  /** The prompts file (`id`, `prompt`, `*_output_tokens`); defaults to `routellm_gsm8k.jsonl` beside `responsesFile`. */
  readonly promptsFile?: string;
}

interface Gsm8kResponseRow {
  id: string;
  strong_response?: string;
  weak_response?: string;
}

interface Gsm8kPromptRow {
  id: string;
  prompt: string;
  strong_output_tokens?: number;
  weak_output_tokens?: number;
}

/**
 * Loads RouteLLM's recorded GSM8K answers (`routellm_gsm8k_responses.jsonl`, keyed by `id`), joined
 * with their prompts (`routellm_gsm8k.jsonl`), into a replay table that answers each strong model
 * name with the strong model's recorded answer and each weak one with the weak model's.
 */
export async function loadGsm8kReplay(responsesFile: string, options: Gsm8kReplayOptions): Promise<ReplayTable> {
  const promptsFile = options.promptsFile ?? path.join(path.dirname(responsesFile), 'routellm_gsm8k.jsonl');
  const [responses, prompts] = await Promise.all([
    readJsonLines<Gsm8kResponseRow>(responsesFile),
    readJsonLines<Gsm8kPromptRow>(promptsFile),
  ]);
  const promptById = new Map(prompts.map((row) => [row.id, row]));
  const strongNames = toList(options.strongModel);
  const weakNames = toList(options.weakModel);
  const entries: ReplayEntry[] = [];
  for (const row of responses) {
    const promptRow = promptById.get(row.id);
    if (!promptRow) continue;
    const answers: Record<string, ReplayAnswer> = {};
    if (typeof row.strong_response === 'string') {
      const answer = { text: row.strong_response, outputTokens: promptRow.strong_output_tokens };
      for (const name of strongNames) answers[name] = answer;
    }
    if (typeof row.weak_response === 'string') {
      const answer = { text: row.weak_response, outputTokens: promptRow.weak_output_tokens };
      for (const name of weakNames) answers[name] = answer;
    }
    entries.push({ prompt: promptRow.prompt, answers });
  }
  return createReplayTable(entries);
}

async function readJsonLines<Row>(file: string): Promise<Row[]> {
  const text = await readFile(file, 'utf8');
  const rows: Row[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line) as Row);
    } catch (error) {
      throw new Error(`${file}:${index + 1}: not JSON (${(error as Error).message})`);
    }
  }
  return rows;
}

function toList(names: string | readonly string[]): readonly string[] {
  return typeof names === 'string' ? [names] : names;
}
