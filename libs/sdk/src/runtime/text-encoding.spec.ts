import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { getTextEncoding } from '@bufbuild/protobuf/wire';
import { common } from '@switchyard/contracts';
import { encodeUtf8, useBufferUtf8Encoding } from './text-encoding';

const SAMPLES: Array<[name: string, text: string]> = [
  ['empty', ''],
  ['ascii', 'gpt-4o-mini'],
  ['two-byte', 'café'],
  ['three-byte', '€ 5'],
  ['four-byte (surrogate pair)', '😀 ok'],
  ['lone high surrogate', 'a\uD800b'],
  ['lone low surrogate', '\uDC00'],
  ['byte-order mark', '\uFEFFtext'],
  ['NUL', 'a\u0000b'],
  ['long', 'Lisbon. '.repeat(1000)],
];

describe('encodeUtf8', () => {
  test.each(SAMPLES)('writes the bytes TextEncoder writes: %s', (_name, text) => {
    expect(Array.from(encodeUtf8(text))).toEqual(Array.from(new TextEncoder().encode(text)));
  });
});

describe('useBufferUtf8Encoding', () => {
  test('installs the encoder and keeps protobuf-es decoding', () => {
    const decodeBefore = getTextEncoding().decodeUtf8;
    useBufferUtf8Encoding();
    expect(getTextEncoding().encodeUtf8).toBe(encodeUtf8);
    expect(getTextEncoding().decodeUtf8).toBe(decodeBefore);
  });

  test.each(SAMPLES)('messages round-trip: %s', (_name, text) => {
    useBufferUtf8Encoding();
    const message = create(common.ChatMessageSchema, { role: common.Role.USER, parts: [{ kind: { case: 'text', value: text } }] });
    const decoded = fromBinary(common.ChatMessageSchema, toBinary(common.ChatMessageSchema, message));
    // Lone surrogates cannot survive UTF-8 in any encoder: they come back as U+FFFD.
    expect(decoded.parts[0]?.kind.value).toBe(new TextDecoder().decode(new TextEncoder().encode(text)));
  });
});
