// Team/project/feature attribution: the router puts it in W3C baggage once it has authenticated the
// caller; every span started in that context (here or in an adapter, after propagation) gets it as
// attributes. Baggage that arrives from outside is dropped unless the service trusts its callers.
import {
  context,
  propagation,
  trace,
  type Attributes,
  type BaggageEntry,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTRIBUTION_BAGGAGE_KEYS, SWITCHYARD_FEATURE_TAGS, SWITCHYARD_PROJECT, SWITCHYARD_TEAM } from './gen-ai-attributes';

/** Who a request is charged to. */
export interface Attribution {
  /** The team, from the authenticated API key; never from the request body or incoming baggage. */
  team: string;
  /** The caller's project within its team; empty or absent for none. */
  project?: string;
  /** Feature tags for cost attribution. */
  featureTags?: readonly string[];
}

/** What a service does with baggage that arrives on an inbound call. */
export type IncomingBaggagePolicy = 'drop' | 'trust';

/** The span attributes for an attribution (empty project and tags are left out). */
export function attributionAttributes(attribution: Attribution): Attributes {
  const attributes: Attributes = { [SWITCHYARD_TEAM]: attribution.team };
  if (attribution.project) attributes[SWITCHYARD_PROJECT] = attribution.project;
  if (attribution.featureTags?.length) attributes[SWITCHYARD_FEATURE_TAGS] = [...attribution.featureTags];
  return attributes;
}

/**
 * Runs `fn` with `attribution` as the request's only baggage (whatever baggage was there is replaced)
 * and stamps it on the active span too, which the gRPC instrumentation started before the caller
 * was authenticated. Downstream calls made inside `fn` carry the baggage to adapters.
 * For a server-streaming handler use {@link withTrustedBaggageStream}.
 */
export function withTrustedBaggage<T>(attribution: Attribution, fn: () => T): T {
  trace.getActiveSpan()?.setAttributes(attributionAttributes(attribution));
  return context.with(contextWithAttribution(context.active(), attribution), fn);
}

/**
 * The streaming form of {@link withTrustedBaggage}: the generator's body runs each time the harness
 * pulls from it, outside any `context.with` scope, so every pull is re-entered in the context.
 */
export function withTrustedBaggageStream<T>(attribution: Attribution, fn: () => AsyncIterable<T>): AsyncIterable<T> {
  trace.getActiveSpan()?.setAttributes(attributionAttributes(attribution));
  const bound = contextWithAttribution(context.active(), attribution);
  return bindAsyncIterable(bound, () => fn());
}

/** `context` with the attribution as its only baggage. */
export function contextWithAttribution(base: Context, attribution: Attribution): Context {
  const entries: Record<string, BaggageEntry> = { [SWITCHYARD_TEAM]: { value: attribution.team } };
  if (attribution.project) entries[SWITCHYARD_PROJECT] = { value: attribution.project };
  // Each tag is percent-encoded before joining so a tag containing a comma survives the round trip.
  if (attribution.featureTags?.length) entries[SWITCHYARD_FEATURE_TAGS] = { value: attribution.featureTags.map(encodeURIComponent).join(',') };
  return propagation.setBaggage(base, propagation.createBaggage(entries));
}

/** The attribution carried by `ctx`'s baggage (default: the active context), if any. */
export function currentAttribution(ctx: Context = context.active()): Attribution | undefined {
  const baggage = propagation.getBaggage(ctx);
  const team = baggage?.getEntry(SWITCHYARD_TEAM)?.value;
  if (!baggage || !team) return undefined;
  const project = baggage.getEntry(SWITCHYARD_PROJECT)?.value;
  const tags = baggage.getEntry(SWITCHYARD_FEATURE_TAGS)?.value;
  return { team, project: project || undefined, featureTags: tags ? decodeTags(tags) : undefined };
}

/**
 * Makes an async iterable whose every `next()` runs in `ctx`, so spans and downstream calls made
 * while producing each item see the same trace and baggage.
 */
export function bindAsyncIterable<T>(ctx: Context, produce: () => AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = context.with(ctx, () => produce()[Symbol.asyncIterator]());
      return {
        next: (...args: [] | [unknown]) => context.with(ctx, () => iterator.next(...args)),
        return: (value?: unknown) =>
          context.with(ctx, () => (iterator.return ? iterator.return(value) : Promise.resolve({ done: true, value: undefined as T }))),
        throw: (error?: unknown) => context.with(ctx, () => (iterator.throw ? iterator.throw(error) : Promise.reject(error))),
      } as AsyncIterator<T>;
    },
  };
}

/**
 * Copies the attribution baggage keys (and only those) onto every span when it starts, so spans in
 * adapters and in libraries' instrumentation carry the team without any code of their own.
 */
export class AttributionSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const baggage = propagation.getBaggage(parentContext);
    if (!baggage) return;
    for (const key of ATTRIBUTION_BAGGAGE_KEYS) {
      const value = baggage.getEntry(key)?.value;
      if (!value) continue;
      span.setAttribute(key, key === SWITCHYARD_FEATURE_TAGS ? decodeTags(value) : value);
    }
  }
  onEnd(_span: ReadableSpan): void {
    // Attribution is copied when a span starts; nothing to do when it ends.
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * W3C baggage with an inbound policy: `drop` ignores baggage on inbound calls (the router: callers
 * must not pick the team that is charged), `trust` reads it (adapters, called only by the router).
 * Outbound calls always carry the context's baggage.
 */
export class PolicyBaggagePropagator implements TextMapPropagator {
  private readonly w3c = new W3CBaggagePropagator();
  constructor(private policy: IncomingBaggagePolicy = 'drop') {}

  /** Changes the inbound policy; takes effect for the next inbound call. */
  setPolicy(policy: IncomingBaggagePolicy): void {
    this.policy = policy;
  }
  get incomingPolicy(): IncomingBaggagePolicy {
    return this.policy;
  }
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    this.w3c.inject(ctx, carrier, setter);
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.policy === 'trust' ? this.w3c.extract(ctx, carrier, getter) : propagation.deleteBaggage(ctx);
  }
  fields(): string[] {
    return this.w3c.fields();
  }
}

function decodeTags(value: string): string[] {
  return value.split(',').map((tag) => {
    try {
      return decodeURIComponent(tag);
    } catch {
      return tag;
    }
  });
}
