import { common, type provider } from '@switchyard/contracts';
import { invalidArgument } from '@switchyard/grpc-kit';
import type { ServedModel } from './served-models';

/**
 * Refuses, with INVALID_ARGUMENT naming the field, a request that needs something the model cannot
 * do (tools, images, JSON output, more output tokens than it can produce, streaming), before
 * anything is sent upstream: the router should have filtered on capabilities, and a clear error
 * beats an upstream 400.
 */
export function checkModelSupports(
  input: Pick<provider.GenerateRequest, 'messages' | 'params'>,
  model: ServedModel,
  options: { stream: boolean },
): void {
  const c = model.capabilities;
  if (options.stream && !c.streaming) throw invalidArgument('model', `${model.id} does not support streaming; call Generate`);
  const params = input.params;
  if (params) {
    if (params.tools.length > 0 && !c.tools) throw invalidArgument('params.tools', `${model.id} does not support tools`);
    const format = params.responseFormat?.type;
    if (format === common.ResponseFormatType.JSON_OBJECT && !c.jsonOutput) {
      throw invalidArgument('params.response_format', `${model.id} does not support JSON-object output; ask for JSON_SCHEMA${c.structuredOutput ? '' : ' on another model'}`);
    }
    if (format === common.ResponseFormatType.JSON_SCHEMA && !c.structuredOutput) {
      throw invalidArgument('params.response_format', `${model.id} does not support JSON-schema structured output`);
    }
    if (params.maxOutputTokens !== undefined && params.maxOutputTokens > c.maxOutputTokens) {
      throw invalidArgument('params.max_output_tokens', `${model.id} produces at most ${c.maxOutputTokens} output tokens`);
    }
  }
  if (!c.vision) {
    input.messages.forEach((message, m) =>
      message.parts.forEach((part, p) => {
        if (part.kind.case === 'image') throw invalidArgument(`messages[${m}].parts[${p}]`, `${model.id} does not accept images`);
      }),
    );
  }
}
