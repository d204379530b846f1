import { EdgeRequestError } from './edge-request-error';

/** An image as the router takes it: an https URL the provider fetches, or inline bytes. */
export type ImageSourceInit = { case: 'url'; value: string } | { case: 'data'; value: Uint8Array };

const DATA_URL = /^data:(image\/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/=\s]+)$/;

/**
 * Reads an image reference from a request: `https://…` stays a URL (the provider fetches it;
 * Switchyard never does), `data:image/…;base64,…` becomes bytes. Anything else is refused,
 * naming `field`, so a request cannot aim a provider at a plain-http or internal address.
 */
export function imageFromUrl(url: string, field: string): { source: ImageSourceInit; mediaType: string } {
  if (url.startsWith('https://')) return { source: { case: 'url', value: url }, mediaType: '' };
  const [, mediaType, base64] = DATA_URL.exec(url) ?? [];
  if (mediaType && base64) return { source: { case: 'data', value: new Uint8Array(Buffer.from(base64, 'base64')) }, mediaType };
  throw new EdgeRequestError(
    `Invalid value for '${field}': an image must be an https URL or a base64 data URL of a PNG, JPEG, GIF or WebP image.`,
    field,
  );
}

/** Inline base64 image bytes (Anthropic's `source.type: "base64"`). */
export function imageFromBase64(data: string, mediaType: string): { source: ImageSourceInit; mediaType: string } {
  return { source: { case: 'data', value: new Uint8Array(Buffer.from(data, 'base64')) }, mediaType };
}
