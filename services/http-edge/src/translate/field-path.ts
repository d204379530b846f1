/** A path into a JSON body as zod reports it: keys and array indexes. */
export type FieldPath = ReadonlyArray<PropertyKey>;

/** OpenAI's notation for a field, e.g. `messages[0].content` (what its own 400s put in `param`). */
export function openAIFieldPath(path: FieldPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Anthropic's notation for a field, e.g. `messages.0.content` (its 400 messages start with it). */
export function anthropicFieldPath(path: FieldPath): string {
  return path.map(String).join('.');
}
