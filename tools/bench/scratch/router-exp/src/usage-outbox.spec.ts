import { create, toBinary } from '@bufbuild/protobuf';
import { billing } from '@switchyard/contracts';
import { SwitchyardError } from '@switchyard/sdk';
import { status } from '@grpc/grpc-js';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openUsageOutbox, type UsageOutbox } from './usage-outbox';
import { conflictRequestId, createUsageShipper, traceLinksMetadata } from './usage-shipper';

const traceparent = (i: number) => `00-${'4bf92f3577b34da6a3ce929d0e0e47'}${String(i).padStart(2, '0')}-00f067aa0ba902b7-01`;

const record = (i: number, overrides: { teamId?: string; inputTokens?: bigint } = {}) =>
  create(billing.UsageRecordSchema, {
    requestId: `req-${i}`,
    teamId: overrides.teamId ?? 'acme',
    model: { provider: 'openai', model: 'gpt-4.1-mini', deployment: 'openai-default' },
    usage: { inputTokens: overrides.inputTokens ?? BigInt(i), outputTokens: 7n },
    outcome: billing.UsageOutcome.SUCCESS,
  });

async function readAll(outbox: UsageOutbox): Promise<string[]> {
  const ids: string[] = [];
  let from;
  for (let i = 0; i < 10_000; i++) {
    const batch = await outbox.readBatch(100, from);
    if (!batch) break;
    ids.push(...batch.records.map((r) => r.requestId));
    from = batch.end;
  }
  return ids;
}

describe('usage outbox', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'router-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps appended records across a reopen until they are acknowledged', async () => {
    const outbox = await openUsageOutbox({ dir });
    await Promise.all([1, 2, 3].map((i) => outbox.append(record(i))));
    expect(await readAll(outbox)).toEqual(['req-1', 'req-2', 'req-3']);
    const first = (await outbox.readBatch(2))!;
    await outbox.acknowledge(first.end, 2);
    expect(outbox.stats().backlog).toBe(1);
    await outbox.close();

    const reopened = await openUsageOutbox({ dir });
    expect(reopened.stats().recovered).toBe(1);
    expect(await readAll(reopened)).toEqual(['req-3']);
    await reopened.append(record(4));
    expect(await readAll(reopened)).toEqual(['req-3', 'req-4']);
    await reopened.close();
  });

  it("keeps each record's traceparent beside it across a reopen, and hands the record back without it", async () => {
    const outbox = await openUsageOutbox({ dir });
    await outbox.append(record(1), traceparent(1));
    await outbox.append(record(2));
    await outbox.append(record(3), traceparent(3));
    await outbox.close();
    const reopened = await openUsageOutbox({ dir });
    const batch = (await reopened.readBatch(10))!;
    expect(batch.traceparents).toEqual([traceparent(1), undefined, traceparent(3)]);
    expect(batch.records.map((r) => r.$unknown)).toEqual([undefined, undefined, undefined]);
    // Exactly the bytes billing would have got without the traceparent (so redelivery stays a DUPLICATE).
    expect(batch.records.map((r) => Buffer.from(toBinary(billing.UsageRecordSchema, r)).toString('hex'))).toEqual(
      [1, 2, 3].map((i) => Buffer.from(toBinary(billing.UsageRecordSchema, record(i))).toString('hex')),
    );
    await reopened.close();
  });

  it('truncates a torn tail left by a crash and keeps every whole record', async () => {
    const outbox = await openUsageOutbox({ dir });
    await Promise.all([1, 2].map((i) => outbox.append(record(i))));
    await outbox.close();
    const segment = readdirSync(dir).find((f) => f.startsWith('seg-'))!;
    const size = statSync(join(dir, segment)).size;
    appendFileSync(join(dir, segment), Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, 9, 9])); // half a frame
    const reopened = await openUsageOutbox({ dir });
    expect(statSync(join(dir, segment)).size).toBe(size);
    expect(await readAll(reopened)).toEqual(['req-1', 'req-2']);
    await reopened.close();
  });

  it('rejects a record whose checksum does not match', async () => {
    const outbox = await openUsageOutbox({ dir });
    await outbox.append(record(1));
    await outbox.append(record(2));
    await outbox.close();
    const segment = join(dir, readdirSync(dir).find((f) => f.startsWith('seg-'))!);
    const bytes = readFileSync(segment);
    bytes[bytes.length - 1] ^= 0xff; // flip a bit in the last record
    require('node:fs').writeFileSync(segment, bytes);
    const reopened = await openUsageOutbox({ dir });
    expect(await readAll(reopened)).toEqual(['req-1']);
    await reopened.close();
  });

  it('group-commits concurrent appends: far fewer fsyncs than records', async () => {
    const outbox = await openUsageOutbox({ dir });
    await Promise.all(Array.from({ length: 400 }, (_, i) => outbox.append(record(i))));
    const stats = outbox.stats();
    expect(stats.appended).toBe(400);
    expect(stats.fsyncs).toBeLessThan(40);
    await outbox.close();
  });

  it('belongs to one process at a time, and takes over a lock its dead owner left', async () => {
    const outbox = await openUsageOutbox({ dir });
    const other = { pid: process.ppid };
    require('node:fs').writeFileSync(join(dir, 'LOCK'), String(other.pid));
    await expect(openUsageOutbox({ dir })).rejects.toThrow(/in use by process/);
    require('node:fs').writeFileSync(join(dir, 'LOCK'), '2147483646'); // no such process
    await outbox.close();
    const again = await openUsageOutbox({ dir });
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
    await again.close();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });

  it('rolls segments over and deletes them once acknowledged', async () => {
    const outbox = await openUsageOutbox({ dir, segmentBytes: 4096 });
    for (let i = 0; i < 300; i++) await outbox.append(record(i));
    const segments = () => readdirSync(dir).filter((f) => f.startsWith('seg-'));
    expect(segments().length).toBeGreaterThan(3);
    let from;
    let total = 0;
    for (let i = 0; i < 1000; i++) {
      const batch = await outbox.readBatch(50, from);
      if (!batch) break;
      total += batch.records.length;
      await outbox.acknowledge(batch.end, batch.records.length);
      from = batch.end;
    }
    expect(total).toBe(300);
    expect(outbox.stats().backlog).toBe(0);
    expect(segments().length).toBeLessThanOrEqual(2);
    await outbox.close();
    const reopened = await openUsageOutbox({ dir });
    expect(reopened.stats().recovered).toBe(0);
    await reopened.close();
  });
});

describe('usage shipper', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'router-shipper-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A BillingService RecordUsage with its idempotency rules, that can be switched off. */
  function fakeBilling() {
    const ledger = new Map<string, string>();
    const state = { down: false, calls: 0 };
    /** The `switchyard-trace-links` metadata of each call that reached billing. */
    const links: Array<string | undefined> = [];
    return {
      ledger,
      state,
      links,
      async recordUsage(request: { records?: billing.UsageRecord[] }, options?: { metadata?: Record<string, string> }) {
        state.calls++;
        links.push(options?.metadata?.['switchyard-trace-links']);
        if (state.down) throw new SwitchyardError(status.UNAVAILABLE, 'billing is down');
        return create(billing.RecordUsageResponseSchema, {
          results: (request.records ?? []).map((r) => {
            const content = JSON.stringify({ ...r, $typeName: undefined }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
            if (r.teamId === 'unknown-team') return { requestId: r.requestId, status: billing.RecordStatus.REJECTED, errorCode: 'FAILED_PRECONDITION', errorMessage: 'team_id: unknown team' };
            const seen = ledger.get(r.requestId);
            if (seen === undefined) {
              ledger.set(r.requestId, content);
              return { requestId: r.requestId, status: billing.RecordStatus.RECORDED };
            }
            return seen === content
              ? { requestId: r.requestId, status: billing.RecordStatus.DUPLICATE }
              : { requestId: r.requestId, status: billing.RecordStatus.REJECTED, errorCode: 'ALREADY_EXISTS', errorMessage: 'different content' };
          }),
        });
      },
    };
  }

  it('delivers everything once, retrying while billing is down', async () => {
    const outbox = await openUsageOutbox({ dir });
    const fake = fakeBilling();
    fake.state.down = true;
    const shipper = createUsageShipper({ outbox, billing: fake, batchSize: 25, lingerMs: 1, retryInitialMs: 5, retryMaxMs: 20 });
    shipper.start();
    await Promise.all(Array.from({ length: 100 }, (_, i) => outbox.append(record(i))));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fake.ledger.size).toBe(0);
    expect(shipper.failures()).toBeGreaterThan(0);
    fake.state.down = false;
    expect(await shipper.drain(5000)).toBe(true);
    expect(fake.ledger.size).toBe(100);
    await shipper.stop();
    await outbox.close();
  });

  it("sends each batch's traceparents, in record order, as switchyard-trace-links metadata", async () => {
    const outbox = await openUsageOutbox({ dir });
    const fake = fakeBilling();
    await outbox.append(record(1), traceparent(1));
    await outbox.append(record(2));
    await outbox.append(record(3), traceparent(3));
    const shipper = createUsageShipper({ outbox, billing: fake, lingerMs: 1 });
    shipper.start();
    expect(await shipper.drain(5000)).toBe(true);
    expect(fake.links).toEqual([`${traceparent(1)},,${traceparent(3)}`]);
    await shipper.stop();
    await outbox.close();
  });

  it('leaves the links out when no record has one, and cuts an oversized list at a whole entry', () => {
    expect(traceLinksMetadata([undefined, undefined])).toBeUndefined();
    const many = Array.from({ length: 1000 }, (_, i) => traceparent(i % 100));
    const value = traceLinksMetadata(many)!['switchyard-trace-links']!;
    expect(value.length).toBeLessThanOrEqual(32 * 1024);
    const kept = value.split(',');
    expect(kept.length).toBeGreaterThan(500);
    expect(kept).toEqual(many.slice(0, kept.length));
  });

  it('redelivers unacknowledged records after a restart; billing deduplicates them', async () => {
    const fake = fakeBilling();
    const first = await openUsageOutbox({ dir });
    await Promise.all(Array.from({ length: 10 }, (_, i) => first.append(record(i))));
    // Billing got them, but the router "crashed" before acknowledging.
    await fake.recordUsage({ records: (await first.readBatch(100))!.records });
    await first.close();
    const second = await openUsageOutbox({ dir });
    const shipper = createUsageShipper({ outbox: second, billing: fake, lingerMs: 1 });
    shipper.start();
    expect(await shipper.drain(5000)).toBe(true);
    expect(fake.ledger.size).toBe(10);
    await shipper.stop();
    await second.close();
  });

  it('records a reused request id with new content under a derived id, and dead-letters rejected rows', async () => {
    const fake = fakeBilling();
    const outbox = await openUsageOutbox({ dir });
    const shipper = createUsageShipper({ outbox, billing: fake, lingerMs: 1 });
    shipper.start();
    const reused = record(1, { inputTokens: 99n });
    const orphan = record(2, { teamId: 'unknown-team' });
    await outbox.append(record(1));
    expect(await shipper.drain(5000)).toBe(true);
    await outbox.append(reused, traceparent(5));
    await outbox.append(orphan);
    expect(await shipper.drain(5000)).toBe(true);
    expect([...fake.ledger.keys()].sort()).toEqual(['req-1', conflictRequestId(reused)].sort());
    // The row re-recorded under its derived id keeps its link: the first call and the re-record both carry it first.
    expect(fake.links.filter((links) => links?.split(',')[0] === traceparent(5))).toHaveLength(2);
    expect(outbox.stats().deadLettered).toBe(1);
    expect(existsSync(join(dir, 'dead-letter.jsonl'))).toBe(true);
    expect(readFileSync(join(dir, 'dead-letter.jsonl'), 'utf8')).toContain('unknown team');
    await shipper.stop();
    await outbox.close();
  });
});
