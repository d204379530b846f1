#!/usr/bin/env node
// protoc plugin entry point: buf pipes a CodeGeneratorRequest to stdin (see buf.gen.yaml).
import { runNodeJs } from '@bufbuild/protoplugin';
import { sdkPlugin } from './sdk-generator';

runNodeJs(sdkPlugin);
