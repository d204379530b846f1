import { create, toBinary } from '@bufbuild/protobuf';
import { billing } from '@switchyard/contracts';
import { SwitchyardError } from '@switchyard/sdk';
import { status } from '@grpc/grpc-js';
import { appendFileSync, constants, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openUsageOutbox, type OutboxBatch, type OutboxPosition, type UsageOutbox } from './usage-outbox';
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

/** Copies an outbox directory as it is at this instant: what a SIGKILL now would leave on disk. */
function snapshotOf(dir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'router-outbox-crashed-'));
  for (const name of readdirSync(dir)) copyFileSync(join(dir, name), join(copy, name));
  return copy;
}

/** This process's open descriptors of an outbox's segment files, with their open flags (Linux /proc/self/fdinfo). */
function openSegments(outboxDir: string): Array<{ file: string; flags: number }> {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const file = readlinkSync(`/proc/self/fd/${fd}`);
      if (!file.startsWith(join(outboxDir, 'seg-'))) return [];
      return [{ file, flags: Number.parseInt(/flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8) }];
    } catch {
      return []; // closed meanwhile
    }
  });
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
    outbox.acknowledge(first.end, 2);
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

  it('makes each durable write synchronous (O_DSYNC segment); the periodic mode writes to the page cache', async () => {
    const durable = await openUsageOutbox({ dir });
    await durable.append(record(1));
    expect(openSegments(dir).length).toBeGreaterThan(0);
    for (const { flags } of openSegments(dir)) expect(flags & constants.O_DSYNC).toBe(constants.O_DSYNC);
    expect(durable.stats()).toMatchObject({ appended: 1, fsyncs: 1 });
    await durable.close();

    const periodicDir = mkdtempSync(join(tmpdir(), 'router-outbox-periodic-'));
    try {
      const periodic = await openUsageOutbox({ dir: periodicDir, syncIntervalMs: 60_000 });
      await periodic.append(record(2));
      expect(openSegments(periodicDir).length).toBeGreaterThan(0);
      for (const { flags } of openSegments(periodicDir)) expect(flags & constants.O_DSYNC).toBe(0);
      await periodic.close();
    } finally {
      rmSync(periodicDir, { recursive: true, force: true });
    }
  });

  it('with syncIntervalMs, appends resolve once written; fdatasync runs in the background and on close', async () => {
    const outbox = await openUsageOutbox({ dir, syncIntervalMs: 60_000 });
    await Promise.all([1, 2, 3].map((i) => outbox.append(record(i))));
    // Resolved without an fdatasync (the interval has not come round), yet readable and in the file:
    // what a killed process leaves behind (the page cache outlives it) holds every record.
    expect(outbox.stats()).toMatchObject({ appended: 3, fsyncs: 0 });
    expect(await readAll(outbox)).toEqual(['req-1', 'req-2', 'req-3']);
    const crashed = snapshotOf(dir);
    try {
      const survivor = await openUsageOutbox({ dir: crashed });
      expect(await readAll(survivor)).toEqual(['req-1', 'req-2', 'req-3']);
      await survivor.close();
    } finally {
      rmSync(crashed, { recursive: true, force: true });
    }
    await outbox.close();
    expect(outbox.stats().fsyncs).toBe(1);
  });

  it('with syncIntervalMs, fdatasyncs written records every interval', async () => {
    const outbox = await openUsageOutbox({ dir, syncIntervalMs: 20 });
    await outbox.append(record(1));
    for (let waited = 0; outbox.stats().fsyncs === 0 && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(outbox.stats().fsyncs).toBe(1);
    // Nothing new written: the timer does not sync again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(outbox.stats().fsyncs).toBe(1);
    await outbox.close();
    expect(outbox.stats().fsyncs).toBe(1);
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

  it('reads batch after batch through one open segment reader, a record larger than the read window too, and closes it', async () => {
    const outbox = await openUsageOutbox({ dir, segmentBytes: 4096 });
    for (let i = 0; i < 120; i++) await outbox.append(record(i));
    // ~100 KiB: more than a one-record batch's first read (64 KiB).
    const big = create(billing.UsageRecordSchema, { ...record(120), featureTags: Array.from({ length: 1600 }, (_, i) => `tag-${String(i).padStart(60, '0')}`) });
    await outbox.append(big);
    await outbox.append(record(121));
    let from;
    const ids: string[] = [];
    let mostOpen = 0;
    for (let i = 0; i < 1000; i++) {
      const batch = await outbox.readBatch(i % 2 === 0 ? 7 : 1, from);
      if (!batch) break;
      mostOpen = Math.max(mostOpen, openSegments(dir).length);
      ids.push(...batch.records.map((r) => r.requestId));
      from = batch.end;
    }
    expect(ids).toEqual(Array.from({ length: 122 }, (_, i) => `req-${i}`));
    expect(mostOpen).toBeLessThanOrEqual(2); // the segment being written and the one being read
    await outbox.close();
    expect(openSegments(dir)).toEqual([]);
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
      outbox.acknowledge(batch.end, batch.records.length);
      from = batch.end;
    }
    expect(total).toBe(300);
    expect(outbox.stats().backlog).toBe(0);
    await outbox.close(); // the acknowledged position is on disk, and the segments before it are gone
    expect(segments().length).toBeLessThanOrEqual(2);
    const reopened = await openUsageOutbox({ dir });
    expect(reopened.stats().recovered).toBe(0);
    await reopened.close();
  });

  it('coalesces acknowledgements: one write in flight, only the newest position waits, and close makes it durable', async () => {
    const outbox = await openUsageOutbox({ dir });
    await Promise.all(Array.from({ length: 50 }, (_, i) => outbox.append(record(i))));
    const ends: OutboxPosition[] = [];
    let from;
    for (let i = 0; i < 100; i++) {
      const batch = await outbox.readBatch(1, from);
      if (!batch) break;
      ends.push(batch.end);
      from = batch.end;
    }
    expect(ends).toHaveLength(50);
    for (const end of ends) outbox.acknowledge(end, 1);
    expect(outbox.stats()).toMatchObject({ backlog: 0, acknowledged: 50, acknowledgedBatches: 50 });
    await outbox.close();
    // The first position is written at once; the other 49 leave only the newest waiting for the next write.
    expect(outbox.stats().ackWrites).toBeGreaterThanOrEqual(1);
    expect(outbox.stats().ackWrites).toBeLessThanOrEqual(2);
    expect(JSON.parse(readFileSync(join(dir, 'acked.json'), 'utf8'))).toEqual(ends.at(-1));
    const reopened = await openUsageOutbox({ dir });
    expect(reopened.stats().recovered).toBe(0);
    await reopened.close();
  });

  it('redelivers what was acknowledged but not yet written at a crash, from segments kept until the write', async () => {
    const segments = (at: string) => readdirSync(at).filter((f) => f.startsWith('seg-'));
    const outbox = await openUsageOutbox({ dir, segmentBytes: 4096 });
    for (let group = 0; group < 15; group++) await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.append(record(group * 20 + i))));
    expect(segments(dir).length).toBeGreaterThan(3);
    const first = (await outbox.readBatch(50))!;
    outbox.acknowledge(first.end, first.records.length);
    await outbox.close(); // this position is on disk
    const undelivered = Array.from({ length: 300 }, (_, i) => `req-${i}`).slice(first.records.length);

    const running = await openUsageOutbox({ dir, segmentBytes: 4096 });
    const batches: OutboxBatch[] = [];
    let from;
    for (let i = 0; i < 100; i++) {
      const batch = await running.readBatch(60, from);
      if (!batch) break;
      batches.push(batch);
      from = batch.end;
    }
    expect(batches.flatMap((b) => b.records.map((r) => r.requestId))).toEqual(undelivered);
    // Billing took all of them; the acknowledgements are in memory and their write has not run yet.
    for (const batch of batches) running.acknowledge(batch.end, batch.records.length);
    const crashed = snapshotOf(dir);
    try {
      const afterCrash = await openUsageOutbox({ dir: crashed });
      expect(afterCrash.stats().recovered).toBe(undelivered.length);
      expect(await readAll(afterCrash)).toEqual(undelivered);
      await afterCrash.close();
    } finally {
      rmSync(crashed, { recursive: true, force: true });
    }

    // Without the crash the write lands, and the segments before it go.
    await running.close();
    expect(segments(dir).length).toBeLessThanOrEqual(2);
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

  describe('batching (fake timers: the test decides when the linger ends)', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval'] }));
    afterEach(() => jest.useRealTimers());

    /** Lets real I/O run until the shipper sleeps on a (fake) timer; false if it has not after 5 s. */
    async function untilShipperSleeps(): Promise<boolean> {
      const deadline = Date.now() + 5000;
      while (jest.getTimerCount() === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      return jest.getTimerCount() > 0;
    }

    it('sends a full batch at once, and lingers after a partial one so batches grow under steady load', async () => {
      const outbox = await openUsageOutbox({ dir });
      const sizes: number[] = [];
      let next = 0;
      const arrive = (count: number) => Promise.all(Array.from({ length: count }, () => outbox.append(record(next++))));
      let arrivalsDuringCall = 0;
      const billingStub = {
        async recordUsage(request: { records?: billing.UsageRecord[] }) {
          const records = request.records ?? [];
          sizes.push(records.length);
          await arrive(arrivalsDuringCall);
          return create(billing.RecordUsageResponseSchema, { results: records.map((r) => ({ requestId: r.requestId, status: billing.RecordStatus.RECORDED })) });
        },
      };
      const shipper = createUsageShipper({ outbox, billing: billingStub, batchSize: 8, partialLingerMs: 10 });
      await arrive(20);
      shipper.start();
      expect(await untilShipperSleeps()).toBe(true);
      expect(sizes).toEqual([8, 8, 4]);

      // Steady load: 2 records arrive during each call and 3 while the shipper lingers.
      arrivalsDuringCall = 2;
      for (let round = 0; round < 3; round++) {
        await arrive(3);
        jest.advanceTimersByTime(10);
        expect(await untilShipperSleeps()).toBe(true);
      }
      expect(sizes).toEqual([8, 8, 4, 3, 5, 5]);
      expect(outbox.stats()).toMatchObject({ acknowledged: 33, acknowledgedBatches: 6 });
      await shipper.stop();
      await outbox.close();
    });
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
