/**
 * protobuf-es turns every string field into UTF-8 with `TextEncoder.encode`, which on Node 20 costs
 * about 700 ns for a short string (a call into C++ and a new ArrayBuffer each time); a message such as
 * the router's GenerateResponse has dozens of them. `Buffer.from(text, 'utf8')` writes the same bytes
 * (lone surrogates become U+FFFD in both) into Node's pooled slab in about 130 ns, and protobuf-es
 * copies the chunk into its output at once, so the pool slice never escapes. Decoding is left alone:
 * TextDecoder drops a leading byte-order mark and Buffer does not. See docs/design.md, "gRPC runtime".
 */
import { configureTextEncoding, getTextEncoding } from '@bufbuild/protobuf/wire';

/** Encodes `text` as UTF-8, as `TextEncoder.encode` does. */
export function encodeUtf8(text: string): Uint8Array<ArrayBuffer> {
  return Buffer.from(text, 'utf8');
}

/**
 * Makes protobuf-es encode strings with `encodeUtf8`, keeping its decoder and UTF-8 check. Every
 * binary writer created afterwards in this process uses it; the SDK runtime calls it once on load.
 */
export function useBufferUtf8Encoding(): void {
  const current = getTextEncoding();
  if (current.encodeUtf8 === encodeUtf8) return;
  configureTextEncoding({ ...current, encodeUtf8 });
}
