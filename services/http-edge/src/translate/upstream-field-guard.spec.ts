import fc from 'fast-check';
import { EdgeRequestError } from './edge-request-error';
import { openAIFieldPath } from './field-path';
import { rejectUpstreamFields } from './upstream-field-guard';

const known = new Set(['model', 'messages', 'metadata']);
const guard = (body: Record<string, unknown>) => rejectUpstreamFields(body, known, openAIFieldPath);

describe('rejectUpstreamFields', () => {
  it.each([
    [{ base_url: 'x' }, 'base_url'],
    [{ api_base: 'x' }, 'api_base'],
    [{ baseURL: 'x' }, 'baseURL'],
    [{ endpoint: 'x' }, 'endpoint'],
    [{ upstream: { host: 'x' } }, 'upstream'],
    [{ options: { server: 'x' } }, 'options.server'],
    [{ to: 'https://api.example.com' }, 'to'],
    [{ to: 'internal-svc:8080' }, 'to'],
    [{ list: ['ok', 'grpc://10.0.0.1:50051'] }, 'list.1'],
  ])('refuses %j naming %s', (body, field) => {
    expect(() => guard(body)).toThrow(EdgeRequestError);
    try {
      guard(body);
    } catch (error) {
      expect((error as EdgeRequestError).field).toBe(field);
    }
  });

  it('leaves known fields alone, whatever they hold', () => {
    expect(() => guard({ model: 'https://x', metadata: { url: 'https://docs' } })).not.toThrow();
  });

  it('refuses any URL value under any unknown field (property)', () => {
    const unknownKey = fc.stringMatching(/^[a-z_]{1,12}$/).filter((key) => !known.has(key));
    const url = fc.webUrl();
    fc.assert(
      fc.property(unknownKey, url, (key, value) => {
        expect(() => guard({ [key]: value })).toThrow(EdgeRequestError);
      }),
      { numRuns: 200 },
    );
  });
});
