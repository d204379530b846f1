// The attribute and metric names Switchyard emits, in one file. The npm semantic-conventions package
// marks every gen_ai.* constant deprecated (they moved to the GenAI conventions repository) and the
// gRPC instrumentation still emits the old rpc.* names, so the project keeps its own copy of each key.

// ---- GenAI spans (OpenTelemetry GenAI semantic conventions) ----
/** The operation, e.g. `chat`; the span is named `{operation} {request model}`. */
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
/** The provider as Switchyard names it, e.g. `openai`, `anthropic`, `vllm`. */
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
export const GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
/** string[]: the provider's finish reasons, one per choice. */
export const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
/** Seconds from issuing the request to the first streamed chunk. */
export const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
/** All input tokens, cached ones included (the convention's meaning, not TokenUsage.input_tokens). */
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
/** All output tokens, reasoning tokens included. */
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
/** Prompt tokens written to the provider's prompt cache (TokenUsage.cache_write_input_tokens). */
export const GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
/** USD as a double: the de-facto key trace backends (Langfuse, Arize Phoenix, Datadog LLM) read for cost. */
export const GEN_AI_USAGE_COST = 'gen_ai.usage.cost';
/** `input` or `output`, on gen_ai.client.token.usage. */
export const GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
/** Opt-in only (captureContent): JSON of the input messages. */
export const GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
/** Opt-in only (captureContent): JSON of the output messages. */
export const GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';

export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_TOKEN_TYPE_INPUT = 'input';
export const GEN_AI_TOKEN_TYPE_OUTPUT = 'output';

// ---- General (stable) ----
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';
/** Low-cardinality failure class: a gRPC status name, an HTTP status code or an exception type. */
export const ERROR_TYPE = 'error.type';
export const ERROR_TYPE_OTHER = '_OTHER';
/** HTTP client spans (stable HTTP conventions). */
export const HTTP_REQUEST_METHOD = 'http.request.method';
export const HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
/** The request URL; Switchyard leaves the query string out. */
export const URL_FULL = 'url.full';

// ---- RPC (stable names; instrumentation-grpc 0.223 still emits rpc.system / rpc.service / rpc.grpc.status_code) ----
export const RPC_SYSTEM_NAME = 'rpc.system.name';
/** Fully qualified: `package.Service/Method`. */
export const RPC_METHOD = 'rpc.method';
/** The status code name as a string, e.g. `OK`, `UNAVAILABLE`. */
export const RPC_STATUS_CODE = 'rpc.status_code';
export const RPC_SYSTEM_NAME_GRPC = 'grpc';
/** What instrumentation-grpc still emits; mapped to the stable names by the stable-rpc span processor. */
export const LEGACY_RPC_SYSTEM = 'rpc.system';
export const LEGACY_RPC_SERVICE = 'rpc.service';
export const LEGACY_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';

// ---- Switchyard's own ----
/** The team charged, from the authenticated API key (set by the router, carried as baggage). */
export const SWITCHYARD_TEAM = 'switchyard.team';
/** The caller's project within its team. */
export const SWITCHYARD_PROJECT = 'switchyard.project';
/** string[]: feature tags for cost attribution. */
export const SWITCHYARD_FEATURE_TAGS = 'switchyard.feature_tags';
/** The router's request id (billing's idempotency key). */
export const SWITCHYARD_REQUEST_ID = 'switchyard.request_id';
/** Exact cost in integer nano-USD (int attribute; the same number billing records). */
export const SWITCHYARD_COST_NANOS_USD = 'switchyard.cost.nanos_usd';
/** true when the usage counts are the adapter's estimate (the upstream reported none); absent otherwise. */
export const SWITCHYARD_USAGE_ESTIMATED = 'switchyard.usage.estimated';
/** The price catalog version the cost was computed with. */
export const SWITCHYARD_COST_PRICE_VERSION = 'switchyard.cost.price_version';
/** What the same tokens would have cost on the team's baseline model, nano-USD. */
export const SWITCHYARD_COST_BASELINE_NANOS_USD = 'switchyard.cost.baseline_nanos_usd';
/** The baseline model, as `provider/model`. */
export const SWITCHYARD_COST_BASELINE_MODEL = 'switchyard.cost.baseline_model';
/** route.decide: string[] of `provider/model` considered. */
export const SWITCHYARD_ROUTE_CANDIDATES = 'switchyard.route.candidates';
/** route.decide: the chosen `provider/model`. */
export const SWITCHYARD_ROUTE_CHOSEN = 'switchyard.route.chosen';
/** route.decide: the policy rule that decided, e.g. `cheapest_meeting_quality`. */
export const SWITCHYARD_ROUTE_RULE = 'switchyard.route.rule';
/** route.decide: the classifier's task class, e.g. `TASK_CLASS_CODE`. */
export const SWITCHYARD_CLASSIFIER_TASK_CLASS = 'switchyard.classifier.task_class';
/** route.decide: classifier difficulty in [0, 1]. */
export const SWITCHYARD_CLASSIFIER_DIFFICULTY = 'switchyard.classifier.difficulty';
/** route.decide: classifier safety score in [0, 1]. */
export const SWITCHYARD_CLASSIFIER_SAFETY_SCORE = 'switchyard.classifier.safety_score';
/** route.decide: expected output tokens. */
export const SWITCHYARD_CLASSIFIER_EXPECTED_OUTPUT_TOKENS = 'switchyard.classifier.expected_output_tokens';
/** On a `chat` span: 1 for the first attempt, 2 for the first fallback, ... */
export const SWITCHYARD_ATTEMPT = 'switchyard.attempt';
/** On a fallback: the `provider/model` that failed before this attempt. */
export const SWITCHYARD_FALLBACK_FROM = 'switchyard.fallback.from';
/** budget.reserve / budget.settle: the reservation id. */
export const SWITCHYARD_BUDGET_RESERVATION_ID = 'switchyard.budget.reservation_id';
/** budget.reserve: the amount held, nano-USD. */
export const SWITCHYARD_BUDGET_HELD_NANOS_USD = 'switchyard.budget.held_nanos_usd';
/** budget.reserve: true when the request was admitted under the router's budget lease (no call to billing). */
export const SWITCHYARD_BUDGET_LEASE = 'switchyard.budget.lease';
/** budget.reserve: the lease the request was admitted under (its reservation's request id in billing). */
export const SWITCHYARD_BUDGET_LEASE_ID = 'switchyard.budget.lease_id';
/** Circuit breaker state on metrics: `closed`, `half_open`, `open`. */
export const SWITCHYARD_CIRCUIT_STATE = 'switchyard.circuit.state';
/** Why a fallback happened (the failed attempt's error.type). */
export const SWITCHYARD_FALLBACK_REASON = 'switchyard.fallback.reason';
/** billing: how many usage rows one ingest call carried. */
export const SWITCHYARD_USAGE_RECORDS = 'switchyard.usage.records';

/** Baggage keys the router sets; only these are copied onto spans. */
export const ATTRIBUTION_BAGGAGE_KEYS = [SWITCHYARD_TEAM, SWITCHYARD_PROJECT, SWITCHYARD_FEATURE_TAGS] as const;

// ---- Span names ----
export const SPAN_ROUTE_DECIDE = 'route.decide';
export const SPAN_BUDGET_RESERVE = 'budget.reserve';
export const SPAN_BUDGET_SETTLE = 'budget.settle';
export const SPAN_USAGE_INGEST = 'usage.ingest';

// ---- Metric names ----
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';
export const METRIC_RPC_SERVER_CALL_DURATION = 'rpc.server.call.duration';
export const METRIC_SWITCHYARD_COST = 'switchyard.cost.nanos_usd';
export const METRIC_SWITCHYARD_FALLBACKS = 'switchyard.router.fallbacks';
export const METRIC_SWITCHYARD_CIRCUIT_STATE = 'switchyard.circuit.state';
export const METRIC_SWITCHYARD_OUTBOX_DEPTH = 'switchyard.outbox.depth';

// ---- Histogram buckets the GenAI conventions advise ----
/** gen_ai.client.token.usage: powers of 4 from 1 to 4^13 tokens. */
export const GEN_AI_TOKEN_USAGE_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
/** gen_ai.client.operation.duration and time to first chunk: seconds, doubling from 10 ms. */
export const GEN_AI_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
/** rpc.server.call.duration: seconds, the RPC conventions' advice. */
export const RPC_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** gRPC status code names by number, so telemetry never has to load @grpc/grpc-js. */
export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
