import { create } from '@bufbuild/protobuf';
import { common } from '@switchyard/contracts';
import { switchyardExtension } from './route-summary';

describe('switchyardExtension', () => {
  it('says usage_estimated only when the router marked the usage as estimated', () => {
    const estimated = create(common.TokenUsageSchema, { inputTokens: 10n, outputTokens: 2n, estimated: true });
    const exact = create(common.TokenUsageSchema, { inputTokens: 10n, outputTokens: 2n });
    expect(switchyardExtension({ requestId: 'r1', usage: estimated })).toEqual({ request_id: 'r1', usage_estimated: true });
    expect(switchyardExtension({ requestId: 'r1', usage: exact })).toEqual({ request_id: 'r1' });
  });
});
