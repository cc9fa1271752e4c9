/**
 * Reads records from assigned partitions: one Fetch per partition leader per round (full fetch
 * requests, no fetch sessions), positions advanced past every complete batch returned, record
 * batches decoded (and decompressed) with our records layer. Control batches (transaction
 * markers) are skipped; records before the fetch offset inside a batch are dropped, as every
 * Kafka consumer does with compressed batches.
 *
 * Start positions are resolved with ListOffsets: earliest, latest, an offset, or the first
 * offset with a timestamp at or after a given time (latest when there is none).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { newFetchRequestPartition, newFetchRequestTopic } from '../../protocol/generated/index.js';
import type { FetchResponse } from '../../protocol/generated/index.js';
import { ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, batch } from '../../protocol/records/batch.js';
import { readRecords } from '../../protocol/records/records.js';
import { Admin, OffsetSpec, tpKey, type TopicPartition } from './admin.js';
import { ApiKey } from './api-keys.js';
import type { KafkaClient } from './cluster.js';
import { KafkaResponseError } from './errors.js';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

export type StartPosition = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: number } | { kind: 'timestamp'; timestamp: number };

export interface FetcherOptions {
  /** Long-poll time of each Fetch. Default 500 ms. */
  maxWaitMs?: number;
  minBytes?: number;
  /** Per request. Default 50 MiB. */
  maxBytes?: number;
  /** Per partition. Default 1 MiB. */
  partitionMaxBytes?: number;
  /** 0 read_uncommitted (default), 1 read_committed. */
  isolationLevel?: number;
  /** Where to go when the position is out of range. Default earliest. */
  resetPolicy?: 'earliest' | 'latest' | 'none';
}

export interface PartitionPosition extends TopicPartition {
  /** Next offset to read. */
  offset: number;
  /** High watermark as of the last fetch (-1 before the first). */
  highWatermark: number;
  logStartOffset: number;
}

export class Fetcher {
  readonly positions = new Map<string, PartitionPosition>();
  private readonly admin: Admin;
  private readonly opts: Required<FetcherOptions>;

  constructor(
    private readonly client: KafkaClient,
    opts: FetcherOptions = {},
  ) {
    this.admin = new Admin(client);
    this.opts = {
      maxWaitMs: opts.maxWaitMs ?? 500,
      minBytes: opts.minBytes ?? 1,
      maxBytes: opts.maxBytes ?? 50 * 1024 * 1024,
      partitionMaxBytes: opts.partitionMaxBytes ?? 1024 * 1024,
      isolationLevel: opts.isolationLevel ?? 0,
      resetPolicy: opts.resetPolicy ?? 'earliest',
    };
  }

  /** Replaces the assignment: each partition starts at its resolved position. */
  async assign(partitions: Array<TopicPartition & { start: StartPosition }>): Promise<void> {
    this.positions.clear();
    const lookups = partitions.filter((p) => p.start.kind !== 'offset');
    const timestampOf = (s: StartPosition): number => (s.kind === 'earliest' ? OffsetSpec.EARLIEST : s.kind === 'latest' ? OffsetSpec.LATEST : s.kind === 'timestamp' ? s.timestamp : 0);
    const found = await this.admin.listOffsets(lookups.map((p) => ({ topic: p.topic, partition: p.partition, timestamp: timestampOf(p.start) })));
    const byKey = new Map(found.map((f) => [tpKey(f.topic, f.partition), f]));
    const needLatest: TopicPartition[] = [];
    for (const p of partitions) {
      let offset: number;
      if (p.start.kind === 'offset') offset = p.start.offset;
      else {
        const f = byKey.get(tpKey(p.topic, p.partition));
        if (!f || f.errorCode !== ErrorCode.NONE) throw new KafkaResponseError(f?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `ListOffsets ${p.topic}-${p.partition}`);
        offset = f.offset;
        if (offset < 0) needLatest.push(p); // no record at or after that time: start at the end
      }
      this.positions.set(tpKey(p.topic, p.partition), { topic: p.topic, partition: p.partition, offset, highWatermark: -1, logStartOffset: -1 });
    }
    if (needLatest.length > 0) {
      for (const f of await this.admin.listOffsets(needLatest.map((p) => ({ ...p, timestamp: OffsetSpec.LATEST })))) {
        this.positions.get(tpKey(f.topic, f.partition))!.offset = f.offset;
      }
    }
  }

  /** True once every assigned partition has been read up to its high watermark. */
  atEnd(): boolean {
    for (const p of this.positions.values()) if (p.highWatermark < 0 || p.offset < p.highWatermark) return false;
    return true;
  }

  /** Records not yet read: sum of (high watermark - position) as of the last fetch. */
  lag(): number {
    let n = 0;
    for (const p of this.positions.values()) if (p.highWatermark >= 0) n += Math.max(0, p.highWatermark - p.offset);
    return n;
  }

  /** One round: a Fetch to each leader in parallel; the records they returned, in partition order. */
  async fetch(): Promise<ConsumedRecord[]> {
    if (this.positions.size === 0) {
      await new Promise((r) => setTimeout(r, this.opts.maxWaitMs));
      return [];
    }
    const byLeader = new Map<number, PartitionPosition[]>();
    for (const p of this.positions.values()) {
      const t = await this.client.topic(p.topic);
      const leader = t.partitions.find((x) => x.partition === p.partition)?.leader ?? -1;
      let l = byLeader.get(leader);
      if (!l) byLeader.set(leader, (l = []));
      l.push(p);
    }
    const results = await Promise.all([...byLeader].map(([leader, ps]) => this.fetchFrom(leader, ps)));
    return results.flat();
  }

  private async fetchFrom(leader: number, parts: PartitionPosition[]): Promise<ConsumedRecord[]> {
    if (leader < 0) {
      for (const p of parts) this.client.forgetTopic(p.topic);
      await new Promise((r) => setTimeout(r, 200));
      return [];
    }
    const conn = await this.client.connectionToNode(leader);
    const topics = new Map<string, PartitionPosition[]>();
    for (const p of parts) {
      let l = topics.get(p.topic);
      if (!l) topics.set(p.topic, (l = []));
      l.push(p);
    }
    const res = await conn.send<FetchResponse>(
      ApiKey.Fetch,
      {
        replicaId: -1,
        maxWaitMs: this.opts.maxWaitMs,
        minBytes: this.opts.minBytes,
        maxBytes: this.opts.maxBytes,
        isolationLevel: this.opts.isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...topics].map(([topic, ps]) =>
          newFetchRequestTopic({
            topic,
            partitions: ps.map((p) => newFetchRequestPartition({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: this.opts.partitionMaxBytes })),
          }),
        ),
        forgottenTopicsData: [],
        rackId: '',
      },
      { extraTimeoutMs: this.opts.maxWaitMs },
    );
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaResponseError(res.errorCode, `Fetch from broker ${leader}`);
    const out: ConsumedRecord[] = [];
    const resets: PartitionPosition[] = [];
    for (const t of res.responses) {
      for (const pr of t.partitions) {
        const pos = this.positions.get(tpKey(t.topic, pr.partitionIndex));
        if (!pos) continue;
        if (pr.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          if (this.opts.resetPolicy === 'none') throw new KafkaResponseError(pr.errorCode, `offset ${pos.offset} of ${pos.topic}-${pos.partition}`);
          resets.push(pos);
          continue;
        }
        if (pr.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || pr.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || pr.errorCode === ErrorCode.LEADER_NOT_AVAILABLE || pr.errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
          this.client.forgetTopic(pos.topic);
          continue;
        }
        if (pr.errorCode !== ErrorCode.NONE) throw new KafkaResponseError(pr.errorCode, `Fetch ${pos.topic}-${pos.partition}`);
        pos.highWatermark = pr.highWatermark;
        pos.logStartOffset = pr.logStartOffset;
        const records = pr.records;
        if (records && Buffer.isBuffer(records) && records.length > 0) pos.offset = await decodeRecordSet(records, pos, out);
      }
    }
    if (resets.length > 0) {
      const spec = this.opts.resetPolicy === 'latest' ? OffsetSpec.LATEST : OffsetSpec.EARLIEST;
      for (const f of await this.admin.listOffsets(resets.map((p) => ({ topic: p.topic, partition: p.partition, timestamp: spec })))) {
        const pos = this.positions.get(tpKey(f.topic, f.partition));
        if (pos && f.errorCode === ErrorCode.NONE) pos.offset = f.offset;
      }
    }
    return out;
  }
}

/**
 * Appends the records of a fetched record set at or after `pos.offset` to `out` and returns the
 * next offset to fetch (past the last complete batch; a trailing partial batch is fetched again).
 */
export async function decodeRecordSet(buf: Buffer, pos: TopicPartition & { offset: number }, out: ConsumedRecord[]): Promise<number> {
  let next = pos.offset;
  let at = 0;
  while (at + BATCH_HEADER_SIZE <= buf.length) {
    const size = batch.totalSize(buf, at);
    if (size < BATCH_HEADER_SIZE || at + size > buf.length) break;
    const b = buf.subarray(at, at + size);
    at += size;
    if (batch.magic(b) !== 2) throw new Error(`${pos.topic}-${pos.partition}: record batch magic ${batch.magic(b)} is not supported (Kafka 0.11+ writes magic 2)`);
    const lastOffset = batch.lastOffset(b);
    if (lastOffset < next) continue;
    if (!batch.isControl(b)) {
      const read = await readRecords(b, { allowOffsetGaps: true });
      if (read.error !== null) throw new Error(`${pos.topic}-${pos.partition}: corrupt record batch at offset ${batch.baseOffset(b)}: ${read.error}`);
      const base = batch.baseOffset(b);
      const logAppend = (batch.attributes(b) & ATTR_TIMESTAMP_TYPE) !== 0;
      const baseTs = batch.baseTimestamp(b);
      const maxTs = batch.maxTimestamp(b);
      for (const r of read.value) {
        const offset = base + r.offsetDelta;
        if (offset < next) continue;
        out.push({
          topic: pos.topic,
          partition: pos.partition,
          offset,
          timestamp: logAppend ? maxTs : baseTs + r.timestampDelta,
          timestampType: logAppend ? 'LogAppendTime' : 'CreateTime',
          key: r.key,
          value: r.value,
          headers: r.headers as Array<{ key: string; value: Buffer | null }>,
        });
      }
    }
    next = lastOffset + 1;
  }
  return next;
}
