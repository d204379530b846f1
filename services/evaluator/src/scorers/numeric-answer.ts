/** How the final number is read from a reply. */
export type NumericExtraction = 'last_number' | 'last_integer';

/** A number read from a reply, or why none could be read. */
export type ExtractedNumber = { value: number; text: string } | { value: undefined; reason: string };

/**
 * RouteLLM's GSM8K rule (from SGLang's benchmark): drop commas, take the last run of digits, and
 * read it as a Python literal, so a run with a leading zero ("05", as in "4.05") is invalid. Signs and decimal
 * points are ignored ("-4.5" reads as 5). Kept exactly so offline scores agree item by item with
 * RouteLLM's recorded correctness.
 */
export function lastInteger(reply: string): ExtractedNumber {
  const runs = reply.replace(/,/g, '').match(/\d+/g);
  const last = runs?.[runs.length - 1];
  if (last === undefined) return { value: undefined, reason: 'no number in the answer' };
  if (/^0\d/.test(last) && !/^0+$/.test(last)) return { value: undefined, reason: `final number "${last}" has a leading zero` };
  return { value: Number(last), text: last };
}

const MARKERS = [/####\s*([^\n]*)/g, /\\boxed\{([^}]*)\}/g, /\b(?:final answer\s*(?:is)?|the answer is|answer\s*:)\s*[:=]?\s*([^\n]*)/gi];
const NUMBER = /(?:(?<![\w.])-)?\$?\s?\d+(?:\.\d+)?(?:\s*\/\s*\d+)?/g;

/**
 * A general final-number reader: the text after the last answer marker (`#### 42`, `\boxed{42}`,
 * "the answer is 42") when there is one, else the whole reply; within it the last number, with
 * thousands separators, a currency sign, a sign, decimals and simple fractions ("3/4") understood.
 */
export function lastNumber(reply: string): ExtractedNumber {
  let region = reply;
  for (const marker of MARKERS) {
    const matches = [...reply.matchAll(marker)];
    const tail = matches[matches.length - 1]?.[1];
    if (tail !== undefined && /\d/.test(tail)) {
      region = tail;
      break;
    }
  }
  const cleaned = region.replace(/(\d),(?=\d{3}\b)/g, '$1');
  const numbers = cleaned.match(NUMBER);
  const last = numbers?.[numbers.length - 1];
  if (last === undefined) return { value: undefined, reason: 'no number in the answer' };
  const text = last.replace(/[$\s]/g, '');
  const [numerator, denominator] = text.split('/');
  const value = denominator !== undefined ? Number(numerator) / Number(denominator) : Number(text);
  return Number.isFinite(value) ? { value, text } : { value: undefined, reason: `"${text}" is not a number` };
}

/** Reads the reference of a numeric item (a number, or a string like "1,250" or "-3.5"). */
export function referenceNumber(reference: unknown): number {
  return typeof reference === 'number' ? reference : Number(String(reference).replace(/,/g, '').trim());
}
