import { createRouterClient, messageText } from '@switchyard/sdk';
import { modelCallError, toChatMessages, toGenerationParams, type ModelCaller } from './model-caller';

/** Options for createRouterModelCaller. */
export interface RouterModelCallerOptions {
  /** The router's `host:port`. */
  address: string;
  /** An API key of the evaluation team (e.g. team `eval`): every call is billed to that cost centre. */
  apiKey?: string;
  /** The project recorded on the evaluator's usage rows. */
  project?: string;
}

/**
 * Calls models through the router, pinned to the requested model (no routing choice), with the
 * evaluation team's key, so run, judge and shadow calls are billed to the evaluation cost centre and
 * never to the team whose traffic is being scored. Tags say why each call was made.
 */
export function createRouterModelCaller(options: RouterModelCallerOptions): ModelCaller {
  const client = createRouterClient(options.address, { apiKey: options.apiKey });
  return {
    kind: 'router',
    async generate(request) {
      const started = performance.now();
      try {
        const response = await client.generate(
          {
            model: request.model,
            messages: toChatMessages(request.messages),
            params: toGenerationParams(request.params),
            context: { requestId: request.requestId, project: options.project ?? 'evaluation', featureTags: [`eval:${request.purpose}`] },
            // A pinned evaluation must measure the named model, never a fallback.
            routing: { disableFallback: true },
          },
          { timeoutMs: request.timeoutMs, signal: request.signal },
        );
        return {
          text: messageText(response.message),
          costNanos: response.cost?.nanosUsd ?? 0n,
          latencyMs: performance.now() - started,
          inputTokens: response.usage?.inputTokens ?? 0n,
          outputTokens: response.usage?.outputTokens ?? 0n,
          servedModel: response.responseModel,
        };
      } catch (error) {
        throw modelCallError(error);
      }
    },
    close: () => client.close(),
  };
}
