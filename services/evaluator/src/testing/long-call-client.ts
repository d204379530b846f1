import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * Channel options for evaluator clients that watch runs or wait for verdicts. The shipped service
 * config (proto/switchyard/service_config.json) caps every EvaluatorService call at 10 s, which would
 * cut WatchRun streams and ValidateModel calls; this copy of its evaluator entry exempts those two.
 * Tests raise the cap of the other calls too (`timeoutSeconds`), so a loaded CI machine does not fail them.
 */
export function longCallChannelOptions(options: { timeoutSeconds?: number } = {}): ChannelOptions {
  const evaluatorService = 'switchyard.evaluator.v1.EvaluatorService';
  const config = {
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: [
      {
        name: [{ service: evaluatorService }],
        timeout: `${options.timeoutSeconds ?? 10}s`,
        retryPolicy: { maxAttempts: 3, initialBackoff: '0.05s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] },
      },
      // More specific than the service entry, so these two have no config timeout: only the call's deadline.
      { name: [{ service: evaluatorService, method: 'WatchRun' }, { service: evaluatorService, method: 'ValidateModel' }] },
    ],
  };
  return { 'grpc.service_config': JSON.stringify(config) };
}
