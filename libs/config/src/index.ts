/** @switchyard/config — typed, validated, frozen configuration from YAML plus environment overrides. */
export * from './load-config';
