/**
 * Faults a fake upstream can inject, shared by the OpenAI and Anthropic fakes.
 *
 * Faults fall into four groups, and a request gets at most one fault from each group: the first
 * active, matching fault of the group in plan order. So `[{ kind: 'unavailable', times: 1 },
 * { kind: 'rate_limit', times: 1 }]` gives 503, then 429, then normal answers, while
 * `[{ kind: 'slow_first_byte', delayMs: 300 }, { kind: 'stream_cut', times: 1 }]` applies both to
 * the first request.
 *
 * - outcome (replaces the answer): `rate_limit`, `server_error`, `unavailable`, `overloaded`,
 *   `connection_reset`, `wrong_key`, `bad_request`
 * - corruption (spoils the answer part-way): `malformed_sse`, `stream_cut`
 * - first-byte delay: `slow_first_byte`
 * - chunk delay: `slow_stream`
 *
 * Tests can also pick faults per request with the header `x-fake-fault` (see {@link parseFaultHeader});
 * a request that carries it ignores the plan and consumes nothing from it.
 */

/** Every fault a fake upstream can inject. */
export const UPSTREAM_FAULT_KINDS = [
  'rate_limit',
  'server_error',
  'unavailable',
  'overloaded',
  'connection_reset',
  'wrong_key',
  'bad_request',
  'malformed_sse',
  'stream_cut',
  'slow_first_byte',
  'slow_stream',
] as const;

/** The name of one injectable fault. */
export type UpstreamFaultKind = (typeof UPSTREAM_FAULT_KINDS)[number];

/** The four groups of faults; a request gets at most one fault of each. */
export type UpstreamFaultGroup = 'outcome' | 'corruption' | 'firstByteDelay' | 'chunkDelay';

/** One fault in a plan. */
export interface UpstreamFault {
  readonly kind: UpstreamFaultKind;
  /** Apply to the next `times` matching requests; omitted: to every matching request until cleared. */
  readonly times?: number;
  /** Only requests for this model match; omitted: every generation request matches. */
  readonly model?: string;
  /** `rate_limit`: the `retry-after` header, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** `slow_first_byte`: delay before the first byte (default 1000); `slow_stream`: delay between chunks (default 50). */
  readonly delayMs?: number;
  /** `stream_cut`: complete chunks sent before the cut (default 2); `malformed_sse`: chunks before the bad line (default 1). */
  readonly afterChunks?: number;
  /** Error message to send instead of the provider's usual one. */
  readonly message?: string;
}

/** The faults picked for one request, at most one per group. */
export type ResolvedFaults = Partial<Record<UpstreamFaultGroup, UpstreamFault>>;

/** The name of the request header that picks faults for that request alone. */
export const FAULT_HEADER = 'x-fake-fault';

/** Defaults for the numeric fault parameters. */
export const FAULT_DEFAULTS = {
  retryAfterSeconds: 1,
  slowFirstByteMs: 1000,
  slowStreamMs: 50,
  streamCutAfterChunks: 2,
  malformedAfterChunks: 1,
} as const;

/** The group a fault kind belongs to. */
export function faultGroup(kind: UpstreamFaultKind): UpstreamFaultGroup {
  switch (kind) {
    case 'malformed_sse':
    case 'stream_cut':
      return 'corruption';
    case 'slow_first_byte':
      return 'firstByteDelay';
    case 'slow_stream':
      return 'chunkDelay';
    default:
      return 'outcome';
  }
}

/** Picks the first fault of each group, without consuming anything. */
export function resolveFaults(faults: readonly UpstreamFault[]): ResolvedFaults {
  const resolved: ResolvedFaults = {};
  for (const fault of faults) {
    const group = faultGroup(fault.kind);
    resolved[group] ??= fault;
  }
  return resolved;
}

/** The faults in a resolved set, as a list (for recording). */
export function faultKinds(resolved: ResolvedFaults): UpstreamFaultKind[] {
  return Object.values(resolved).map((fault) => fault.kind);
}

/**
 * Parses the `x-fake-fault` header: comma-separated fault names, each optionally followed by
 * `;key=value` parameters named as in {@link UpstreamFault}, e.g.
 * `x-fake-fault: stream_cut;afterChunks=3, slow_first_byte;delayMs=200`. Throws on an unknown name.
 */
export function parseFaultHeader(value: string): UpstreamFault[] {
  const faults: UpstreamFault[] = [];
  for (const item of value.split(',')) {
    const [rawKind, ...params] = item.split(';').map((part) => part.trim());
    if (!rawKind) continue;
    if (!isFaultKind(rawKind)) {
      throw new Error(`unknown ${FAULT_HEADER} "${rawKind}"; expected one of ${UPSTREAM_FAULT_KINDS.join(', ')}`);
    }
    const fault: Record<string, unknown> = { kind: rawKind };
    for (const param of params) {
      const [key, raw = ''] = param.split('=').map((part) => part.trim());
      if (key === 'retryAfterSeconds' || key === 'delayMs' || key === 'afterChunks') {
        const number = Number(raw);
        if (!Number.isFinite(number) || number < 0) throw new Error(`${FAULT_HEADER}: ${key} must be a number ≥ 0`);
        fault[key] = number;
      } else if (key === 'message') {
        fault[key] = decodeURIComponent(raw);
      } else if (key) {
        throw new Error(`${FAULT_HEADER}: unknown parameter "${key}"`);
      }
    }
    faults.push(fault as unknown as UpstreamFault);
  }
  return faults;
}

/** Whether `name` names a fault kind. */
export function isFaultKind(name: string): name is UpstreamFaultKind {
  return (UPSTREAM_FAULT_KINDS as readonly string[]).includes(name);
}

interface PlannedFault {
  readonly fault: UpstreamFault;
  remaining: number;
}

/** A run-time changeable list of faults, consumed request by request. */
export class UpstreamFaultPlan {
  #planned: PlannedFault[] = [];

  constructor(faults: readonly UpstreamFault[] = []) {
    this.set(faults);
  }

  /** Replaces the plan. */
  set(faults: readonly UpstreamFault[]): void {
    for (const fault of faults) {
      if (!isFaultKind(fault.kind)) throw new Error(`unknown fault kind "${String(fault.kind)}"`);
    }
    this.#planned = faults.map((fault) => ({ fault, remaining: fault.times ?? Number.POSITIVE_INFINITY }));
  }

  /** Empties the plan. */
  clear(): void {
    this.#planned = [];
  }

  /** The faults still to apply, with `times` reduced by what has been consumed. */
  get pending(): UpstreamFault[] {
    return this.#planned
      .filter((planned) => planned.remaining > 0)
      .map((planned) =>
        Number.isFinite(planned.remaining) ? { ...planned.fault, times: planned.remaining } : planned.fault,
      );
  }

  /** Picks the faults for one request for `model` and consumes one use of each picked fault. */
  take(model: string | undefined): ResolvedFaults {
    const resolved: ResolvedFaults = {};
    for (const planned of this.#planned) {
      if (planned.remaining <= 0) continue;
      if (planned.fault.model !== undefined && planned.fault.model !== model) continue;
      const group = faultGroup(planned.fault.kind);
      if (resolved[group]) continue;
      resolved[group] = planned.fault;
      planned.remaining -= 1;
    }
    return resolved;
  }
}
