/**
 * The durable usage outbox: an append-only log of UsageRecords on local disk.
 *
 * Layout of `dir`:
 *   seg-000000000001.log   segment files; each record is [u32 LE length][u32 LE crc32][UsageRecord protobuf]
 *   acked.json             {"segment": n, "offset": bytes}: everything before it was acknowledged by billing
 *                          (written in the background, coalesced; see createAckFile)
 *   dead-letter.jsonl      rows billing rejected for good (never retried), for an operator
 *   LOCK                   the owning process's pid: one router per outbox directory
 *
 * By default `append` resolves only after the record's bytes are on disk (segments are opened O_DSYNC, so
 * a group's one write is also its data sync), so a response that waited for it survives a crash (SIGKILL,
 * power loss with honest disks). Group commit: while one synchronous write runs, new records queue up and
 * share the next, so throughput grows with concurrency instead of being capped at 1/sync-latency. With
 * `syncIntervalMs` > 0, `append` resolves once the bytes are written (in the page cache: they survive the
 * process being killed) and a background fdatasync runs every `syncIntervalMs`: a kernel crash or power
 * loss can then lose up to that much usage. On open, a torn tail (a record cut by a crash) is truncated, and
 * every record after the acknowledged offset is delivered again; billing's idempotency on request id
 * makes the redelivery harmless.
 *
 * A record's W3C traceparent (for billing's span links) is kept in the same frame, as an extra field
 * of the stored protobuf (TRACEPARENT_FIELD, which UsageRecord does not define); the reader takes
 * it out again, so billing never sees it in the record.
 */
import { fromBinary, toBinary, toJsonString } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { billing } from '@switchyard/contracts';
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';

/** A point in the log: a segment number and a byte offset in it. */
export interface OutboxPosition {
  segment: number;
  offset: number;
}

/** A batch read for delivery. */
export interface OutboxBatch {
  records: billing.UsageRecord[];
  /** The traceparent each record was appended with (undefined for none), in record order. */
  traceparents: (string | undefined)[];
  /** Where the batch ends; pass to `acknowledge` once billing has it. */
  end: OutboxPosition;
}

/** Counters, for tests, benchmarks and metrics. */
export interface OutboxStats {
  /** Records made durable since open. */
  appended: number;
  /** Synchronous group writes since open: O_DSYNC writes, or background fdatasyncs with syncIntervalMs (appended / fsyncs = records per group commit). */
  fsyncs: number;
  /** Records not yet acknowledged (including those recovered at open). */
  backlog: number;
  /** Records acknowledged since open. */
  acknowledged: number;
  /** Batches acknowledged since open: one per RecordUsage delivery (acknowledged / acknowledgedBatches = records per call). */
  acknowledgedBatches: number;
  /** Writes of acked.json since open; coalesced, so under load far fewer than acknowledgedBatches. */
  ackWrites: number;
  /** Rows billing rejected for good since open. */
  deadLettered: number;
  /** Records recovered from disk at open (not yet acknowledged then). */
  recovered: number;
}

/** Options for openUsageOutbox. */
export interface UsageOutboxOptions {
  /** The outbox directory (created if missing). One router process per directory. */
  dir: string;
  /** Roll over to a new segment file after this many bytes; default 8 MiB. */
  segmentBytes?: number;
  /**
   * 0 (default): every append is fdatasync'd before it resolves. > 0: appends resolve once written and
   * the segment is fdatasync'd in the background this often, ms — less latency per request, and up to
   * this much usage lost if the machine (not just the process) goes down.
   */
  syncIntervalMs?: number;
  logger?: Logger;
}

/** The durable outbox: the request path appends, the shipper reads and acknowledges. */
export interface UsageOutbox {
  /**
   * Appends a record, with the W3C traceparent of the request that produced it (billing links its
   * ingest span to it); resolves once it is on disk (fdatasync'd), or written when `syncIntervalMs` > 0.
   */
  append(record: billing.UsageRecord, traceparent?: string): Promise<void>;
  /** Up to `maxRecords` unacknowledged durable records after `from` (default: the acknowledged offset). */
  readBatch(maxRecords: number, from?: OutboxPosition): Promise<OutboxBatch | undefined>;
  /**
   * Marks everything before `end` delivered; `count` records leave the backlog at once. The position
   * reaches disk in the background (coalesced with later ones), and segments before it are deleted
   * once it is there; `close` waits for it and fsyncs it.
   */
  acknowledge(end: OutboxPosition, count: number): void;
  /** Records a row billing rejected for good, with the reason. */
  deadLetter(record: billing.UsageRecord, reason: string): void;
  /** Resolves when new records become durable (or the signal aborts). */
  waitForRecords(signal?: AbortSignal): Promise<void>;
  stats(): OutboxStats;
  /** Flushes queued appends, closes the active segment, and makes the newest acknowledged position durable. */
  close(): Promise<void>;
}

const FRAME_HEADER = 8;
const MAX_RECORD_BYTES = 1024 * 1024;
const SEGMENT_PATTERN = /^seg-(\d{12})\.log$/;
const ACK_FILE = 'acked.json';
const segmentName = (seq: number) => `seg-${String(seq).padStart(12, '0')}.log`;
// UsageRecord has no traceparent field (yet): the outbox stores it under the largest legal field
// number, which no schema revision will reach, and strips it on read.
const TRACEPARENT_FIELD = 536_870_911;

interface PendingAppend {
  frame: Buffer;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Frames one encoded record: length, CRC-32 of the payload, payload (the record, then the optional traceparent field). */
function frame(record: Uint8Array, trailer: Uint8Array | undefined): Buffer {
  const length = record.length + (trailer?.length ?? 0);
  const out = Buffer.allocUnsafe(FRAME_HEADER + length);
  out.writeUInt32LE(length, 0);
  out.set(record, FRAME_HEADER);
  if (trailer) out.set(trailer, FRAME_HEADER + record.length);
  out.writeUInt32LE(crc32(out.subarray(FRAME_HEADER)), 4);
  return out;
}

/** The stored traceparent field, appended after the record's own bytes. */
function traceparentTrailer(traceparent: string | undefined): Uint8Array | undefined {
  return traceparent ? new BinaryWriter().tag(TRACEPARENT_FIELD, WireType.LengthDelimited).string(traceparent).finish() : undefined;
}

/** Decodes a stored payload: the record without the traceparent field, and the traceparent. */
function decodeStored(payload: Uint8Array): { record: billing.UsageRecord; traceparent: string | undefined } {
  const record = fromBinary(billing.UsageRecordSchema, payload);
  const unknown = record.$unknown;
  if (!unknown) return { record, traceparent: undefined };
  let traceparent: string | undefined;
  const rest = unknown.filter((field) => {
    if (field.no !== TRACEPARENT_FIELD || field.wireType !== WireType.LengthDelimited) return true;
    traceparent = new BinaryReader(field.data).string();
    return false;
  });
  record.$unknown = rest.length > 0 ? rest : undefined;
  return { record, traceparent };
}

/** Scans a segment's bytes: the offset after the last whole, valid record and how many records precede it. */
function scanValid(bytes: Buffer, from: number): { end: number; count: number } {
  let offset = from;
  let count = 0;
  while (offset + FRAME_HEADER <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    const end = offset + FRAME_HEADER + length;
    if (length > MAX_RECORD_BYTES || end > bytes.length) break;
    if (crc32(bytes.subarray(offset + FRAME_HEADER, end)) !== bytes.readUInt32LE(offset + 4)) break;
    offset = end;
    count++;
  }
  return { end: offset, count };
}

/** Reads up to `length` bytes at `position` (fewer only at the end of the file). */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buffer.subarray(0, read);
}

/** fsyncs a file or directory (a directory: so the entries created or renamed in it survive a power loss). */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const samePosition = (a: OutboxPosition, b: OutboxPosition | undefined) => a.segment === b?.segment && a.offset === b.offset;

/** acked.json, kept off the request path. */
interface AckFile {
  /** Writes `position` in the background; a write already queued is replaced by it. */
  save(position: OutboxPosition): void;
  /** Writes `position` (if not yet written) and fsyncs it and the directory; resolves when done. */
  persist(position: OutboxPosition): Promise<void>;
  writes(): number;
}

/**
 * The acknowledged position on disk, written off the event loop and coalesced: one write in flight
 * at a time, and while it runs only the newest position waits for the next. A write is a temp file
 * + rename (atomic) without fsync: a position a crash loses only makes the next start redeliver,
 * which billing deduplicates. `onSaved` runs after each write, so whatever it deletes lies behind a
 * position that is on disk.
 */
function createAckFile(dir: string, onSaved: (position: OutboxPosition) => Promise<void>, logger?: Logger): AckFile {
  const file = join(dir, ACK_FILE);
  let written: OutboxPosition | undefined;
  let next: { position: OutboxPosition; durable: boolean } | undefined;
  let running: Promise<void> | undefined;
  let writes = 0;

  const store = async (position: OutboxPosition, durable: boolean) => {
    if (!samePosition(position, written)) {
      const tmp = `${file}.tmp`;
      await writeFile(tmp, JSON.stringify(position), { flush: durable });
      await rename(tmp, file);
      written = position;
      writes++;
    } else if (durable) {
      await syncPath(file);
    }
    if (durable) await syncPath(dir);
    await onSaved(position);
  };

  const drain = async () => {
    while (next) {
      const { position, durable } = next;
      next = undefined;
      try {
        await store(position, durable);
      } catch (error) {
        logger?.warn({ err: (error as Error).message }, 'outbox ack write failed; a restart would redeliver from the previous position (billing deduplicates)');
      }
    }
    running = undefined;
  };

  const enqueue = (position: OutboxPosition, durable: boolean) => {
    next = { position, durable: durable || (next?.durable ?? false) };
    return (running ??= drain());
  };

  return {
    save: (position) => void enqueue(position, false),
    persist: async (position) => enqueue(position, true),
    writes: () => writes,
  };
}

/**
 * Opens (or creates) the outbox in `dir`: validates unacknowledged segments, truncates a torn
 * tail, deletes acknowledged segments, and starts a fresh segment for new appends.
 */
export async function openUsageOutbox(options: UsageOutboxOptions): Promise<UsageOutbox> {
  const { dir, logger } = options;
  const segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
  mkdirSync(dir, { recursive: true });
  const releaseLock = lockDirectory(dir);
  const deadLetterFile = join(dir, 'dead-letter.jsonl');

  const segments = readdirSync(dir)
    .map((name) => SEGMENT_PATTERN.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);

  let acked: OutboxPosition = { segment: segments[0] ?? 1, offset: 0 };
  try {
    const parsed = JSON.parse(readFileSync(join(dir, ACK_FILE), 'utf8')) as OutboxPosition;
    if (Number.isSafeInteger(parsed.segment) && Number.isSafeInteger(parsed.offset)) acked = parsed;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger?.warn({ err: (error as Error).message }, 'outbox ack file unreadable; redelivering every segment (billing deduplicates)');
  }
  // An ack pointing into a deleted segment means everything up to the oldest kept segment was delivered.
  if (segments.length > 0 && acked.segment < segments[0]!) acked = { segment: segments[0]!, offset: 0 };

  // Validated durable size of every closed segment; the reader never reads past it.
  const closedEnds = new Map<number, number>();
  let backlog = 0;
  for (const seq of segments) {
    const path = join(dir, segmentName(seq));
    if (seq < acked.segment) {
      unlinkSync(path);
      continue;
    }
    const bytes = readFileSync(path);
    const start = seq === acked.segment ? Math.min(acked.offset, bytes.length) : 0;
    if (seq === acked.segment && acked.offset > bytes.length) acked = { segment: seq, offset: bytes.length };
    const { end, count } = scanValid(bytes, start);
    if (end < bytes.length) {
      logger?.warn({ segment: seq, valid_bytes: end, dropped_bytes: bytes.length - end }, 'outbox segment has a torn or corrupt tail; truncating it');
      truncateSync(path, end);
    }
    closedEnds.set(seq, end);
    backlog += count;
  }
  const recovered = backlog;
  if (recovered > 0) logger?.info({ records: recovered, segments: closedEnds.size }, 'outbox recovered undelivered usage records');

  const syncIntervalMs = options.syncIntervalMs ?? 0;
  // Durable appends open segments with O_DSYNC: each group's write returns once its bytes are on
  // disk, one system call where write + fdatasync took two trips through libuv's thread pool.
  const segmentFlags = syncIntervalMs > 0 ? 'a' : constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;
  const openSegment = (seq: number) => open(join(dir, segmentName(seq)), segmentFlags, 0o600);

  let activeSeq = (segments.at(-1) ?? 0) + 1;
  let activeSize = 0;
  let active: FileHandle = await openSegment(activeSeq);
  await syncPath(dir);

  let pending: PendingAppend[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;
  let waiters: Array<() => void> = [];
  const counters = { appended: 0, fsyncs: 0, acknowledged: 0, acknowledgedBatches: 0, deadLettered: 0 };

  /** Deletes the closed segments that lie wholly before an acknowledged position already on disk. */
  const deleteDeliveredSegments = async (saved: OutboxPosition) => {
    for (const seq of [...closedEnds.keys()]) {
      if (seq >= saved.segment) continue;
      closedEnds.delete(seq);
      await unlink(join(dir, segmentName(seq))).catch(() => undefined); // already gone
    }
  };
  const ackFile = createAckFile(dir, deleteDeliveredSegments, logger);

  // Periodic sync (syncIntervalMs > 0): written bytes not yet fdatasync'd, and the sync in flight.
  let unsynced = false;
  let syncing: Promise<void> | undefined;
  /** fdatasyncs the active segment if it has unsynced bytes; one at a time. */
  const syncActive = (): Promise<void> => {
    if (syncing) return syncing.then(syncActive);
    if (!unsynced) return Promise.resolve();
    unsynced = false;
    syncing = active
      .datasync()
      .then(() => void counters.fsyncs++)
      .catch((error: unknown) => {
        unsynced = true;
        logger?.error({ err: (error as Error).message }, 'outbox background fdatasync failed; retrying at the next interval');
      })
      .finally(() => (syncing = undefined));
    return syncing;
  };
  const syncTimer = syncIntervalMs > 0 ? setInterval(() => void syncActive(), syncIntervalMs).unref() : undefined;

  const rotate = async () => {
    await syncActive();
    await active.close();
    closedEnds.set(activeSeq, activeSize);
    activeSeq++;
    activeSize = 0;
    active = await openSegment(activeSeq);
    await syncPath(dir);
  };

  const writeAll = async (buffer: Buffer) => {
    let written = 0;
    while (written < buffer.length) {
      const { bytesWritten } = await active.write(buffer, written, buffer.length - written);
      written += bytesWritten;
    }
  };

  // Group commit: everything queued while the previous fsync ran goes out in one write + one fsync.
  const flushLoop = async () => {
    while (pending.length > 0) {
      const group = pending;
      pending = [];
      const buffer = group.length === 1 ? group[0]!.frame : Buffer.concat(group.map((p) => p.frame));
      try {
        if (activeSize > 0 && activeSize + buffer.length > segmentBytes) await rotate();
        await writeAll(buffer);
        if (syncIntervalMs > 0) unsynced = true;
        else counters.fsyncs++; // the O_DSYNC write was the sync
        activeSize += buffer.length;
        counters.appended += group.length;
        backlog += group.length;
        for (const p of group) p.resolve();
        const wake = waiters;
        waiters = [];
        for (const w of wake) w();
      } catch (error) {
        // A failed write may leave part of a frame: cut it off so later records stay readable.
        await active.truncate(activeSize).catch(() => undefined);
        logger?.error({ err: (error as Error).message }, 'outbox write failed; the requests in this group fail');
        for (const p of group) p.reject(new Error(`usage outbox write failed: ${(error as Error).message}`));
      }
    }
    flushing = undefined;
  };

  const durableEnd = (seq: number) => (seq === activeSeq ? activeSize : closedEnds.get(seq));

  // The segment the shipper reads, kept open between batches (reads are positional) instead of an
  // open + close per batch; replaced when the reader moves on to the next segment.
  let reader: { seq: number; handle: Promise<FileHandle> } | undefined;
  let reads: Promise<unknown> = Promise.resolve();
  const dropReader = (): Promise<void> => {
    const closing = reader?.handle.then((handle) => handle.close()).catch(() => undefined);
    reader = undefined;
    return closing ?? Promise.resolve();
  };
  const segmentReader = (seq: number): Promise<FileHandle> => {
    if (reader?.seq !== seq) {
      void dropReader();
      reader = { seq, handle: open(join(dir, segmentName(seq)), 'r') };
    }
    return reader.handle;
  };

  const readBatchNow = async (maxRecords: number, from: OutboxPosition): Promise<OutboxBatch | undefined> => {
    let position = { ...from };
    // Skip past finished segments.
    for (;;) {
      const end = durableEnd(position.segment);
      if (end === undefined) {
        const next = [...closedEnds.keys(), activeSeq].filter((s) => s > position.segment).sort((a, b) => a - b)[0];
        if (next === undefined) return undefined;
        position = { segment: next, offset: 0 };
        continue;
      }
      if (position.offset < end) break;
      if (position.segment === activeSeq) return undefined;
      position = { segment: position.segment + 1, offset: 0 };
    }
    const end = durableEnd(position.segment)!;
    try {
      const handle = await segmentReader(position.segment);
      // Enough bytes for a full batch of typical records, not the whole backlog; a first record larger
      // than that is read again at its own size.
      let length = Math.min(end - position.offset, Math.max(64 * 1024, maxRecords * 2048));
      let buffer = await readAt(handle, position.offset, length);
      if (buffer.length >= FRAME_HEADER && FRAME_HEADER + buffer.readUInt32LE(0) > buffer.length) {
        length = Math.min(end - position.offset, FRAME_HEADER + buffer.readUInt32LE(0));
        buffer = await readAt(handle, position.offset, length);
      }
      const records: billing.UsageRecord[] = [];
      const traceparents: (string | undefined)[] = [];
      let offset = 0;
      while (records.length < maxRecords && offset + FRAME_HEADER <= buffer.length) {
        const size = buffer.readUInt32LE(offset);
        if (offset + FRAME_HEADER + size > buffer.length) break;
        const stored = decodeStored(buffer.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + size));
        records.push(stored.record);
        traceparents.push(stored.traceparent);
        offset += FRAME_HEADER + size;
      }
      if (records.length === 0) return undefined;
      return { records, traceparents, end: { segment: position.segment, offset: position.offset + offset } };
    } catch (error) {
      void dropReader();
      throw error;
    }
  };

  return {
    append(record, traceparent) {
      if (closed) return Promise.reject(new Error('usage outbox is closed'));
      const payload = toBinary(billing.UsageRecordSchema, record);
      const trailer = traceparentTrailer(traceparent);
      if (payload.length + (trailer?.length ?? 0) > MAX_RECORD_BYTES) return Promise.reject(new Error('usage record too large'));
      return new Promise<void>((resolve, reject) => {
        pending.push({ frame: frame(payload, trailer), resolve, reject });
        flushing ??= flushLoop();
      });
    },

    readBatch(maxRecords, from = acked) {
      // One batch at a time: they share the cached segment reader.
      const batch = reads.then(() => readBatchNow(maxRecords, from));
      reads = batch.catch(() => undefined);
      return batch;
    },

    acknowledge(end, count) {
      acked = { ...end };
      backlog = Math.max(0, backlog - count);
      counters.acknowledged += count;
      counters.acknowledgedBatches++;
      ackFile.save(acked);
    },

    deadLetter(record, reason) {
      counters.deadLettered++;
      const line = JSON.stringify({ reason, at: new Date().toISOString(), record: JSON.parse(toJsonString(billing.UsageRecordSchema, record)) });
      const fd = openSync(deadLetterFile, 'a');
      try {
        writeFileSync(fd, line + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },

    waitForRecords(signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        waiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },

    stats: () => ({ ...counters, ackWrites: ackFile.writes(), backlog, recovered }),

    async close() {
      closed = true;
      while (flushing) await flushing;
      if (syncTimer) clearInterval(syncTimer);
      await syncActive();
      await active.close();
      await reads;
      await dropReader();
      // Keep an empty active segment from piling up across restarts.
      if (activeSize === 0 && statSync(join(dir, segmentName(activeSeq))).size === 0) {
        unlinkSync(join(dir, segmentName(activeSeq)));
      } else {
        closedEnds.set(activeSeq, activeSize);
      }
      if (counters.acknowledgedBatches > 0) await ackFile.persist(acked);
      const wake = waiters;
      waiters = [];
      for (const w of wake) w();
      releaseLock();
    },
  };
}

/**
 * Makes the directory this process's alone (a `LOCK` file with its pid): two routers appending to
 * one outbox would interleave frames. A lock left by a process that no longer runs (e.g. after
 * SIGKILL) is taken over.
 */
function lockDirectory(dir: string): () => void {
  const lock = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(lock, 'utf8') === String(process.pid)) unlinkSync(lock);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lock, 'utf8'));
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && processRuns(owner)) {
        throw new Error(`usage outbox ${dir} is in use by process ${owner}; each router needs its own outbox directory`);
      }
      unlinkSync(lock);
    }
  }
  throw new Error(`could not lock usage outbox ${dir}`);
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
