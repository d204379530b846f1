// Property tests: any upstream body or stream event, however malformed, gives a response the
// contract can carry or an UpstreamProtocolError — never another exception (which would be INTERNAL).
import { create, toJsonString } from '@bufbuild/protobuf';
import { provider } from '@switchyard/contracts';
import { UpstreamProtocolError } from '@switchyard/provider-kit';
import fc from 'fast-check';
import { fromAnthropicMessage, type AnthropicMessage } from './response';
import { createMessageStreamTranslator, toStreamFinal } from './stream';

const json = fc.jsonValue({ maxDepth: 3 });
const usage = fc.oneof(
  json,
  fc.record({ input_tokens: fc.oneof(fc.integer({ min: -3, max: 1e6 }), fc.double(), fc.constant(null)), output_tokens: fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.constant(null)) }, { requiredKeys: [] }),
);
const block = fc.oneof(json, fc.record({ type: fc.constantFrom('text', 'tool_use', 'thinking'), text: fc.oneof(fc.string(), json), id: fc.string(), name: fc.string(), input: json }, { requiredKeys: [] }));
const message = fc.oneof(json, fc.record({ id: fc.oneof(fc.string(), json), model: fc.string(), stop_reason: fc.oneof(fc.constantFrom('end_turn', 'tool_use', 'max_tokens'), json), usage, content: fc.oneof(fc.array(block, { maxLength: 3 }), json) }, { requiredKeys: [] }));
const event = fc.oneof(
  json,
  fc.record({
    type: fc.constantFrom('message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'weird'),
    index: fc.oneof(fc.integer({ min: -1, max: 3 }), json),
    message: fc.oneof(json, fc.record({ id: fc.string(), model: fc.string(), usage }, { requiredKeys: [] })),
    content_block: fc.oneof(json, block),
    delta: fc.oneof(json, fc.record({ type: fc.constantFrom('text_delta', 'input_json_delta'), text: fc.string(), partial_json: fc.string(), stop_reason: fc.string() }, { requiredKeys: [] })),
    usage,
  }, { requiredKeys: ['type'] }),
);

describe('Anthropic reply translators on arbitrary upstream input', () => {
  it('fromAnthropicMessage: a GenerateResponse or an UpstreamProtocolError', () => {
    fc.assert(
      fc.property(message, (body) => {
        try {
          toJsonString(provider.GenerateResponseSchema, create(provider.GenerateResponseSchema, fromAnthropicMessage(body as unknown as AnthropicMessage)));
        } catch (error) {
          if (!(error instanceof UpstreamProtocolError)) throw error;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the stream translator: deltas and a final the contract can carry, or an UpstreamProtocolError', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), (events) => {
        const translator = createMessageStreamTranslator();
        try {
          for (const e of events) for (const out of translator.accept(e as { type: string })) create(provider.StreamGenerateResponseSchema, out);
          toJsonString(provider.StreamFinalSchema, create(provider.StreamFinalSchema, toStreamFinal(translator.summary())));
        } catch (error) {
          if (!(error instanceof UpstreamProtocolError)) throw error;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
