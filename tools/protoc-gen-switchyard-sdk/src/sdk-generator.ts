import type { DescFile, DescMessage, DescMethod, DescService } from '@bufbuild/protobuf';
import { createEcmaScriptPlugin, type GeneratedFile, type Schema } from '@bufbuild/protoplugin';

/** Where the protoc-gen-es output of a proto file lives, as an import path. */
export function contractsImportPath(file: DescFile): string {
  return `@switchyard/contracts/gen/${file.name}_pb`;
}

/** `RouterService` → `createRouterClient`; `ApiKeyService` → `createApiKeyClient`. */
export function factoryName(service: DescService): string {
  return `create${service.name.replace(/Service$/, '')}Client`;
}

// Relative imports are resolved from the output root (libs/sdk/src/gen), whose sibling is runtime/.
function runtimeImport(file: GeneratedFile, name: string, module: 'client' | 'server-context', typeOnly = false) {
  return file.import(name, `../runtime/${module}`, typeOnly);
}

function messageImports(file: GeneratedFile, message: DescMessage) {
  return {
    schema: file.import(`${message.name}Schema`, contractsImportPath(message.file), true),
    shape: file.import(message.name, contractsImportPath(message.file), true),
  };
}

function printMethod(file: GeneratedFile, method: DescMethod) {
  const init = file.import('MessageInitShape', '@bufbuild/protobuf', true);
  const callOptions = runtimeImport(file, 'CallOptions', 'client', true);
  const input = messageImports(file, method.input);
  const output = messageImports(file, method.output);
  file.print(file.jsDoc(method, '  '));
  if (method.methodKind === 'unary') {
    file.print`  ${method.localName}(request: ${init}<typeof ${input.schema}>, options?: ${callOptions}): Promise<${output.shape}> {`;
    file.print`    return this.unary(${method.parent.name}.method.${method.localName}, request, options);`;
  } else if (method.methodKind === 'server_streaming') {
    file.print`  ${method.localName}(request: ${init}<typeof ${input.schema}>, options?: ${callOptions}): AsyncIterable<${output.shape}> {`;
    file.print`    return this.serverStream(${method.parent.name}.method.${method.localName}, request, options);`;
  } else {
    throw new Error(`${method.parent.typeName}.${method.name}: client and bidi streaming are not supported by the Switchyard SDK`);
  }
  file.print`  }`;
  file.print``;
}

function printService(file: GeneratedFile, service: DescService) {
  const serviceDesc = file.import(service.name, contractsImportPath(service.file));
  const baseClient = runtimeImport(file, 'SwitchyardClient', 'client');
  const clientOptions = runtimeImport(file, 'ClientOptions', 'client', true);
  const implementation = runtimeImport(file, 'ServiceImplementation', 'server-context', true);
  const clientName = `${service.name}Client`;
  file.print(file.jsDoc(service));
  file.print`export class ${clientName} extends ${baseClient} {`;
  for (const method of service.methods) printMethod(file, method);
  file.print`}`;
  file.print``;
  file.print`/** Creates a typed ${service.typeName} client, e.g. \`${factoryName(service)}('127.0.0.1:50051', { apiKey })\`. */`;
  file.print`export function ${factoryName(service)}(address: string, options?: ${clientOptions}): ${clientName} {`;
  file.print`  return new ${clientName}(address, options);`;
  file.print`}`;
  file.print``;
  file.print`/** What a server of ${service.typeName} implements: one typed handler per method. */`;
  file.print`export type ${service.name}Implementation = ${implementation}<typeof ${serviceDesc}>;`;
  file.print``;
  file.print`export { ${serviceDesc} };`;
  file.print``;
}

function generateTs(schema: Schema) {
  for (const protoFile of schema.files) {
    if (protoFile.services.length === 0) continue;
    const file = schema.generateFile(`${protoFile.name}_sdk.ts`);
    file.preamble(protoFile);
    for (const service of protoFile.services) printService(file, service);
  }
}

/** The protoc plugin that generates `libs/sdk/src/gen`: typed clients and server implementation types. */
export const sdkPlugin = createEcmaScriptPlugin({
  name: 'protoc-gen-switchyard-sdk',
  version: 'v0.1.0',
  generateTs,
});
