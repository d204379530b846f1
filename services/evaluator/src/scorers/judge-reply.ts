/** A judge's grade of one answer. */
export interface JudgeGrade {
  /** 1 (worst) to 10 (best). */
  score: number;
  /** The judge's short reason. */
  reason: string;
}

/** A judge reply that holds no usable grade; the item is recorded as an error, never as a zero. */
export class MalformedJudgeReply extends Error {
  override readonly name = 'MalformedJudgeReply';
  constructor(
    message: string,
    /** A short quote of the offending reply, kept apart so it stays out of logs and live-traffic records. */
    readonly excerpt?: string,
  ) {
    super(message);
  }
}

const MAX_REASON_CHARS = 300;

/**
 * Reads a judge's reply. The rubric asks for `{"score": <1-10>, "reason": "..."}`; the JSON may be
 * wrapped in a code fence or surrounded by text. Replies in the common `Score: 7` / `Reason: ...`
 * form and MT-Bench's `[[7]]` are accepted too. Anything else throws MalformedJudgeReply.
 */
export function parseJudgeReply(text: string): JudgeGrade {
  const trimmed = text.trim();
  if (trimmed === '') throw new MalformedJudgeReply('empty judge reply');
  const json = firstJsonObject(trimmed);
  if (json !== undefined) return gradeFromJson(json);
  const labelled = /\bscore\s*[:=]\s*\**\s*(\d+(?:\.\d+)?)\s*(?:\/\s*10)?/i.exec(trimmed) ?? /\[\[(\d+(?:\.\d+)?)\]\]/.exec(trimmed);
  if (labelled) {
    const reason = /\breason\s*[:=]\s*(.+)/i.exec(trimmed)?.[1] ?? trimmed.replace(labelled[0], '');
    return { score: checkScore(Number(labelled[1])), reason: shorten(reason) };
  }
  throw new MalformedJudgeReply('judge reply has no score', JSON.stringify(shorten(trimmed, 80)));
}

function gradeFromJson(value: unknown): JudgeGrade {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedJudgeReply('judge reply JSON is not an object');
  const record = value as Record<string, unknown>;
  const raw = record.score ?? record.rating;
  const score = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : undefined;
  if (score === undefined) throw new MalformedJudgeReply('judge reply JSON has no numeric "score"', JSON.stringify(raw ?? null));
  const reason = record.reason ?? record.explanation;
  if (typeof reason !== 'string' || reason.trim() === '') throw new MalformedJudgeReply('judge reply JSON has no "reason"');
  return { score: checkScore(score), reason: shorten(reason) };
}

function checkScore(score: number): number {
  if (!Number.isInteger(score) || score < 1 || score > 10) throw new MalformedJudgeReply(`judge score ${score} is not an integer from 1 to 10`);
  return score;
}

/** The first parseable `{...}` in the text (a fenced block, or from the first `{` to a matching `}`). */
function firstJsonObject(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  for (const candidate of [fenced, text].filter((c): c is string => c !== undefined)) {
    const start = candidate.indexOf('{');
    if (start < 0) continue;
    for (let end = candidate.lastIndexOf('}'); end > start; end = candidate.lastIndexOf('}', end - 1)) {
      try {
        return JSON.parse(candidate.slice(start, end + 1));
      } catch {
        // try a shorter span: prose after the object may contain a '}'
      }
    }
  }
  return undefined;
}

function shorten(text: string, max = MAX_REASON_CHARS): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
