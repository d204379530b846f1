/**
 * SQuAD-style answer normalisation: Unicode NFKC, lower case, punctuation removed, the articles
 * "a", "an" and "the" dropped, whitespace collapsed. "The Eiffel Tower." equals "eiffel tower".
 */
export function normalizeAnswer(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Word-level F1 of two texts after normalisation (1 for two empty texts). */
export function tokenF1(a: string, b: string): number {
  const left = normalizeAnswer(a).split(' ').filter(Boolean);
  const right = normalizeAnswer(b).split(' ').filter(Boolean);
  if (left.length === 0 && right.length === 0) return 1;
  if (left.length === 0 || right.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const word of right) counts.set(word, (counts.get(word) ?? 0) + 1);
  let common = 0;
  for (const word of left) {
    const available = counts.get(word) ?? 0;
    if (available > 0) {
      common++;
      counts.set(word, available - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / left.length;
  const recall = common / right.length;
  return (2 * precision * recall) / (precision + recall);
}
