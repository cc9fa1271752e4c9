/**
 * Producer state for every partition, loaded lazily on the first idempotent produce to a
 * partition and rebuilt from the log: the newest snapshot (if any) plus a scan of the batch
 * headers written after it. The log is the truth; a snapshot only saves scanning.
 *
 * Snapshot file (Kafka's name, our content): `<partition dir>/<20-digit offset>.snapshot`, JSON
 * `{ "version": 2, "offset": N, "producers": [{producerId, epoch, lastTimestamp, batches:
 * [{firstSeq, lastSeq, baseOffset, lastOffset, timestamp}]}], "ongoing": [[producerId,
 * firstOffset]], "aborted": [{producerId, firstOffset, lastOffset}] }`, covering every batch
 * below N (version 1, without the transaction fields, is still read). Written at clean shutdown
 * through the storage fs seam; older snapshots are removed.
 *
 * `ongoing` and `aborted` are the partition's transaction state: open transactions (for the last
 * stable offset) and the aborted transactions index (for read_committed fetches). Kafka keeps the
 * latter in per-segment .txnindex files; here it is part of the producer state, so it is rebuilt
 * from the log (transactional batches and COMMIT/ABORT markers) exactly like the rest of it when
 * there is no snapshot, e.g. after kill -9.
 *
 * Keyed by the hosted Partition object (data/partitions.ts; the same object until its topic is
 * deleted); it reads the partition's batches through it and keeps snapshots in its directory.
 */
import { join } from 'node:path';
import { batch } from '../../protocol/records/batch.js';
import { ControlRecordType } from '../../protocol/records/records.js';
import type { Logger } from '../logger.js';
import { type StorageFs, readWholeFile, realFs, writeFileAtomic } from '../../storage/fs.js';
import { controlType } from '../data/control-batches.js';
import type { Partition } from '../data/partitions.js';
import type { ProducerStatesPort } from './port.js';
import { lastSequence, PartitionProducerState, type AbortedTxn, type ProducerEntry } from './producer-state.js';

export { controlType };

const SNAPSHOT_RE = /^(\d{20})\.snapshot$/;
const SCAN_CHUNK_BYTES = 8 * 1024 * 1024;

export class ProducerStateManager implements ProducerStatesPort {
  private readonly states = new WeakMap<Partition, PartitionProducerState>();
  private readonly loading = new WeakMap<Partition, Promise<PartitionProducerState>>();
  private readonly loaded = new Set<Partition>();

  constructor(
    private readonly log: Logger,
    private readonly fs: StorageFs = realFs,
  ) {}

  /** The state if already loaded (the produce fast path), else undefined. */
  peek(p: Partition): PartitionProducerState | undefined {
    return this.states.get(p);
  }

  /** Loads (once) and returns the state of a partition. */
  get(p: Partition): Promise<PartitionProducerState> {
    const ready = this.states.get(p);
    if (ready) return Promise.resolve(ready);
    let loading = this.loading.get(p);
    if (!loading) {
      loading = this.load(p).then((s) => {
        this.states.set(p, s);
        this.loaded.add(p);
        this.loading.delete(p);
        return s;
      });
      loading.catch(() => this.loading.delete(p));
      this.loading.set(p, loading);
    }
    return loading;
  }

  private async load(p: Partition): Promise<PartitionProducerState> {
    const t0 = performance.now();
    let state = new PartitionProducerState();
    let from = p.logStartOffset;
    const snap = await readSnapshot(this.fs, p.dir);
    if (snap && snap.offset <= p.logEndOffset && snap.offset >= p.logStartOffset) {
      state = PartitionProducerState.fromJSON(snap.producers, snap.ongoing ?? [], snap.aborted ?? []);
      from = snap.offset;
    }
    // Everything appended so far must be in the state; appends made while we scan are waited for.
    // The reads stop at what the log shows (its high watermark; in a cluster its visible end,
    // where a new leader may hold records not committed yet: a retry of one is a duplicate).
    const end = p.logEndOffset;
    let scanned = 0;
    while (from < end) {
      const batches = await p.readBatches(from, SCAN_CHUNK_BYTES);
      if (batches.length === 0) break;
      for (const b of batches) {
        const last = batch.lastOffset(b);
        if (last >= from) applyBatch(state, b);
        from = last + 1;
        scanned++;
      }
    }
    state.truncateBefore(p.logStartOffset);
    this.log.debug({ topic: p.topic, partition: p.partition, scanned, ms: Math.round(performance.now() - t0) }, 'producer state loaded');
    return state;
  }

  /** Writes a snapshot for every loaded partition (clean shutdown). */
  async snapshotAll(): Promise<void> {
    for (const p of this.loaded) {
      const state = this.states.get(p);
      if (!state || p.isClosed) continue;
      try {
        await writeSnapshot(this.fs, p.dir, p.logEndOffset, state);
      } catch (err) {
        this.log.warn({ topic: p.topic, partition: p.partition, err: (err as Error).message }, 'producer snapshot failed');
      }
    }
  }

  /** Drops a partition that is no longer hosted (its topic was deleted): no snapshot, no reference kept. */
  forget(p: Partition): void {
    this.states.delete(p);
    this.loaded.delete(p);
  }
}

/** Adds one stored batch's producer metadata to the state (rebuild path). */
export function applyBatch(state: PartitionProducerState, b: Buffer): void {
  const pid = batch.producerId(b);
  if (pid < 0) return;
  const base = batch.baseOffset(b);
  const transactional = batch.isTransactional(b);
  if (batch.isControl(b)) {
    if (!transactional) return;
    const type = controlType(b);
    if (type !== null) state.completeTxn(pid, batch.producerEpoch(b), base, type === ControlRecordType.Abort, batch.maxTimestamp(b));
    return;
  }
  const firstSeq = batch.baseSequence(b);
  if (firstSeq < 0) {
    if (transactional) state.beginTxn(pid, base);
    return;
  }
  state.record(
    pid,
    batch.producerEpoch(b),
    {
      firstSeq,
      lastSeq: lastSequence(firstSeq, batch.lastOffsetDelta(b) + 1),
      baseOffset: base,
      lastOffset: base + batch.lastOffsetDelta(b),
      timestamp: batch.maxTimestamp(b),
    },
    transactional,
  );
}

interface Snapshot {
  version: number;
  offset: number;
  producers: ProducerEntry[];
  ongoing?: Array<[number, number]>;
  aborted?: AbortedTxn[];
}

async function readSnapshot(fs: StorageFs, dir: string): Promise<Snapshot | null> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return null;
  }
  const snaps = names.filter((n) => SNAPSHOT_RE.test(n)).sort();
  const newest = snaps[snaps.length - 1];
  if (!newest) return null;
  try {
    const parsed = JSON.parse((await readWholeFile(fs, join(dir, newest))).toString('utf8')) as Snapshot;
    if (parsed.version !== 1 && parsed.version !== 2) return null;
    return parsed;
  } catch {
    return null;
  }
}

async function writeSnapshot(fs: StorageFs, dir: string, offset: number, state: PartitionProducerState): Promise<void> {
  const name = `${String(offset).padStart(20, '0')}.snapshot`;
  const snap: Snapshot = { version: 2, offset, producers: state.toJSON(), ongoing: [...state.ongoing], aborted: state.aborted };
  await writeFileAtomic(fs, dir, name, JSON.stringify(snap));
  for (const n of await fs.readdir(dir)) if (SNAPSHOT_RE.test(n) && n !== name) await fs.unlink(join(dir, n)).catch(() => undefined);
}
