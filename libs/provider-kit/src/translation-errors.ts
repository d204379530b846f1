/**
 * A request that cannot be expressed in the upstream's wire format (or breaks the contract's own
 * rules). Adapters turn it into INVALID_ARGUMENT with a BadRequest field violation naming `field`.
 */
export class RequestTranslationError extends Error {
  override readonly name = 'RequestTranslationError';
  constructor(
    /** The offending field of our request, as a path, e.g. `messages[2].parts[0].image.media_type`. */
    readonly field: string,
    /** What is wrong with it, for a person. */
    readonly description: string,
  ) {
    super(`${field}: ${description}`);
  }
}

/**
 * The upstream answered with something that is not a valid reply (no choices, broken JSON...).
 * Adapters turn it into UNAVAILABLE: another attempt, or another provider, may well succeed.
 */
export class UpstreamProtocolError extends Error {
  override readonly name = 'UpstreamProtocolError';
}
