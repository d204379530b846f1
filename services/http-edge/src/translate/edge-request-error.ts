/** What kind of request problem the edge found before calling the router. */
export type EdgeRequestProblem = 'invalid_request' | 'too_large' | 'not_found' | 'method_not_allowed';

/**
 * A problem with the HTTP request itself, found by the edge (bad JSON, a field that fails
 * validation, an upstream URL, an unknown path). It becomes a 4xx in the caller's API shape;
 * `field` names the offending field in that API's own notation (`messages[0].content` for OpenAI,
 * `messages.0.content` for Anthropic).
 */
export class EdgeRequestError extends Error {
  override readonly name = 'EdgeRequestError';
  constructor(
    message: string,
    readonly field?: string,
    readonly problem: EdgeRequestProblem = 'invalid_request',
  ) {
    super(message);
  }
}
