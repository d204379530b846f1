import type { DescFile, DescService } from '@bufbuild/protobuf';
import { toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ReflectionService } from '@grpc/reflection';
import type * as grpc from '@grpc/grpc-js';

function collectFiles(file: DescFile, into: Map<string, DescFile>): void {
  if (into.has(file.name)) return;
  into.set(file.name, file);
  for (const dependency of file.dependencies) collectFiles(dependency, into);
}

/**
 * Adds gRPC server reflection (v1 and v1alpha) for the given services, built from protobuf-es
 * descriptors: no .proto files or proto-loader at run time.
 */
export function addReflection(server: grpc.Server, services: readonly DescService[]): void {
  const files = new Map<string, DescFile>();
  for (const service of services) collectFiles(service.file, files);
  const fileDescriptorProtos = [...files.values()].map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)));
  const root = { switchyard: { fileDescriptorProtos } } as unknown as ConstructorParameters<typeof ReflectionService>[0];
  new ReflectionService(root, { services: services.map((s) => s.typeName) }).addToServer(server);
}
