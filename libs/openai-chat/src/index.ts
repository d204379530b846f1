/**
 * @switchyard/openai-chat — pure translators between Switchyard's ProviderService messages and the
 * OpenAI Chat Completions wire format, shared by every adapter that speaks it (adapter-openai,
 * adapter-openai-compatible). It never imports the `openai` SDK: the wire is typed structurally.
 */
export * from './chat-wire';
export * from './chat-dialect';
export * from './chat-request';
export * from './chat-response';
export * from './chat-reply-shape';
export * from './chat-stream';
export * from './chat-usage';
export * from './finish-reason';
export * from './usage-estimate';
export * from './chat-provider-service';
