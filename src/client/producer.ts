/**
 * A batching producer. Records are placed on a partition (explicit, else murmur2 of the key as
 * Java does, else a "sticky" partition that changes with each batch, KIP-480), collected per
 * partition until `batchSize` bytes or `lingerMs`, encoded as one RecordBatch v2 (compressed as
 * asked) and sent to the partition's leader — one Produce request per leader carrying a batch
 * for each of its ready partitions, up to `maxInFlight` requests per broker.
 *
 * Not idempotent: batches are retried only after errors that mean the broker did not append
 * them (not leader, unknown partition, not enough replicas); a lost connection fails the batch.
 */
import { CompressionType } from '../../protocol/records/batch.js';
import { buildBatch, type RecordInput } from '../../protocol/records/builder.js';
import { ErrorCode } from '../../protocol/errors.js';
import { newProduceRequestPartition, newProduceRequestTopic, type ProduceRequestPartition } from '../../protocol/generated/index.js';
import type { ProduceResponse } from '../../protocol/generated/index.js';
import { partitionForKey } from './partitioner.js';
import { ApiKey } from './api-keys.js';
import type { KafkaClient } from './cluster.js';
import { KafkaResponseError } from './errors.js';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const COMPRESSION_CODECS: Record<CompressionName, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export interface ProducerOptions {
  /** -1 (all), 1 (leader) or 0 (no answer). Default -1. */
  acks?: number;
  compression?: CompressionName;
  /** Bytes of records per partition batch before it is sent. Default 16384 (Kafka's). */
  batchSize?: number;
  /** How long a batch waits for more records. Default 5 ms (Kafka 4's). */
  lingerMs?: number;
  /** Produce requests in flight per broker. Default 5. */
  maxInFlight?: number;
  /** Broker-side ack timeout. Default 30000. */
  timeoutMs?: number;
  /** Records waiting to be sent, in bytes, before `full()` says stop. Default 32 MiB. */
  bufferBytes?: number;
  /** Retries of a batch after a retriable error. Default 5. */
  retries?: number;
  /** Create unknown topics through Metadata as producers do (if the broker allows). Default true. */
  autoCreateTopics?: boolean;
}

export interface ProducerRecord {
  topic: string;
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Array<{ key: string; value: Buffer | string | null }>;
  partition?: number;
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0. */
  offset: number;
  timestamp: number;
}

export type SendCallback = (err: Error | null, meta: RecordMetadata | null) => void;

interface Batch {
  topic: string;
  partition: number;
  records: RecordInput[];
  callbacks: Array<SendCallback | undefined>;
  bytes: number;
  attempts: number;
}

interface Waiting {
  record: ProducerRecord;
  cb: SendCallback | undefined;
}

const RETRIABLE_NOT_APPENDED = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

const sizeOf = (v: Buffer | string | null | undefined): number => (v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

export class Producer {
  private readonly acks: number;
  private readonly codec: CompressionType;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly bufferBytes: number;
  private readonly retries: number;
  private readonly autoCreate: boolean;

  private readonly partitionCounts = new Map<string, number>();
  private readonly awaitingMetadata = new Map<string, Waiting[]>();
  private readonly sticky = new Map<string, number>();
  private readonly open = new Map<string, Batch>();
  private readonly ready: Batch[] = [];
  private readonly inFlightByLeader = new Map<number, number>();
  private lingerTimer: NodeJS.Timeout | null = null;
  private buffered = 0;
  private unfinished = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  private capacityWaiters: Array<() => void> = [];
  private failure: Error | null = null;

  constructor(
    private readonly client: KafkaClient,
    opts: ProducerOptions = {},
  ) {
    this.acks = opts.acks ?? -1;
    if (![-1, 0, 1].includes(this.acks)) throw new Error(`acks must be -1 (all), 0 or 1, not ${this.acks}`);
    this.codec = COMPRESSION_CODECS[opts.compression ?? 'none'];
    if (this.codec === undefined) throw new Error(`unknown compression '${opts.compression}' (none, gzip, snappy, lz4, zstd)`);
    this.batchSize = opts.batchSize ?? 16384;
    this.lingerMs = opts.lingerMs ?? 5;
    this.maxInFlight = opts.maxInFlight ?? 5;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.bufferBytes = opts.bufferBytes ?? 32 * 1024 * 1024;
    this.retries = opts.retries ?? 5;
    this.autoCreate = opts.autoCreateTopics ?? true;
  }

  /** Queues a record; `cb` runs once it is acknowledged or failed. */
  send(record: ProducerRecord, cb?: SendCallback): void {
    this.unfinished++;
    const count = this.partitionCounts.get(record.topic);
    if (count === undefined) {
      let waiting = this.awaitingMetadata.get(record.topic);
      if (!waiting) {
        this.awaitingMetadata.set(record.topic, (waiting = []));
        void this.loadTopic(record.topic);
      }
      waiting.push({ record, cb });
      return;
    }
    this.place(record, cb, count);
  }

  /** send() as a promise (one per record: use the callback form for large volumes). */
  sendAsync(record: ProducerRecord): Promise<RecordMetadata> {
    return new Promise((resolve, reject) => this.send(record, (err, meta) => (err ? reject(err) : resolve(meta!))));
  }

  /** True when the records waiting to be sent exceed bufferBytes: await capacity() before more. */
  full(): boolean {
    return this.buffered >= this.bufferBytes;
  }

  capacity(): Promise<void> {
    if (!this.full()) return Promise.resolve();
    return new Promise((r) => this.capacityWaiters.push(r));
  }

  /** Sends everything queued and resolves when every record sent so far is finished. */
  flush(): Promise<void> {
    this.closeOpenBatches();
    if (this.unfinished === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private async loadTopic(topic: string): Promise<void> {
    let count: number;
    try {
      const t = await this.client.topic(topic, { autoCreate: this.autoCreate });
      count = t.partitions.length;
    } catch (err) {
      this.failure ??= err as Error;
      const waiting = this.awaitingMetadata.get(topic) ?? [];
      this.awaitingMetadata.delete(topic);
      for (const w of waiting) this.finish(w.cb, err as Error, null);
      return;
    }
    this.partitionCounts.set(topic, count);
    const waiting = this.awaitingMetadata.get(topic) ?? [];
    this.awaitingMetadata.delete(topic);
    for (const w of waiting) this.place(w.record, w.cb, count);
  }

  private place(record: ProducerRecord, cb: SendCallback | undefined, count: number): void {
    let partition: number;
    if (record.partition !== undefined && record.partition >= 0) {
      if (record.partition >= count) return this.finish(cb, new KafkaResponseError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${record.topic}-${record.partition} (topic has ${count} partitions)`), null);
      partition = record.partition;
    } else if (record.key != null) {
      partition = partitionForKey(typeof record.key === 'string' ? Buffer.from(record.key) : record.key, count);
    } else {
      let s = this.sticky.get(record.topic);
      if (s === undefined || s >= count) this.sticky.set(record.topic, (s = Math.floor(Math.random() * count)));
      partition = s;
    }
    const key = `${record.topic}\u0000${partition}`;
    let b = this.open.get(key);
    if (!b) {
      b = { topic: record.topic, partition, records: [], callbacks: [], bytes: 0, attempts: 0 };
      this.open.set(key, b);
    }
    const bytes = sizeOf(record.key) + sizeOf(record.value) + (record.headers?.reduce((n, h) => n + h.key.length + sizeOf(h.value), 0) ?? 0) + 16;
    b.records.push({ key: record.key ?? null, value: record.value, headers: record.headers, timestamp: record.timestamp ?? Date.now() });
    b.callbacks.push(cb);
    b.bytes += bytes;
    this.buffered += bytes;
    if (b.bytes >= this.batchSize) {
      this.seal(key, b);
      this.drain();
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        this.closeOpenBatches();
      }, this.lingerMs);
    }
  }

  private seal(key: string, b: Batch): void {
    this.open.delete(key);
    this.ready.push(b);
    // Keyless records move on to another partition once their batch is full (KIP-480).
    const count = this.partitionCounts.get(b.topic) ?? 1;
    if (this.sticky.get(b.topic) === b.partition && count > 1) {
      let next = Math.floor(Math.random() * (count - 1));
      if (next >= b.partition) next++;
      this.sticky.set(b.topic, next);
    }
  }

  private closeOpenBatches(): void {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    for (const [key, b] of [...this.open]) this.seal(key, b);
    this.drain();
  }

  /** Sends ready batches to their leaders while in-flight limits allow. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void this.drainAsync().finally(() => {
      this.draining = false;
      if (this.ready.length > 0 && this.canSendSome()) this.drain();
    });
  }

  private canSendSome(): boolean {
    return this.ready.some((b) => (this.inFlightByLeader.get(this.leaderOf(b)) ?? 0) < this.maxInFlight);
  }

  private leaderOf(b: Batch): number {
    return this.leaders.get(`${b.topic}\u0000${b.partition}`) ?? -1;
  }

  private readonly leaders = new Map<string, number>();
  /** Per leader: resolves once the latest request formed for it has been written. */
  private readonly writeOrder = new Map<number, Promise<void>>();

  private async drainAsync(): Promise<void> {
    // Learn leaders for batches we have not placed yet.
    const unknown = new Set(this.ready.filter((b) => !this.leaders.has(`${b.topic}\u0000${b.partition}`)).map((b) => b.topic));
    for (const topic of unknown) {
      try {
        const t = await this.client.topic(topic);
        for (const p of t.partitions) this.leaders.set(`${topic}\u0000${p.partition}`, p.leader);
      } catch (err) {
        for (const b of this.ready.filter((x) => x.topic === topic)) this.failBatch(b, err as Error);
      }
    }
    const byLeader = new Map<number, Batch[]>();
    const keep: Batch[] = [];
    for (const b of this.ready.splice(0)) {
      const leader = this.leaderOf(b);
      const list = byLeader.get(leader) ?? [];
      // One batch per partition per request keeps a partition's batches in order.
      const inFlight = this.inFlightByLeader.get(leader) ?? 0;
      if (inFlight >= this.maxInFlight || list.some((x) => x.topic === b.topic && x.partition === b.partition)) keep.push(b);
      else {
        list.push(b);
        byLeader.set(leader, list);
      }
    }
    this.ready.push(...keep);
    for (const [leader, batches] of byLeader) {
      this.inFlightByLeader.set(leader, (this.inFlightByLeader.get(leader) ?? 0) + 1);
      void this.sendRequest(leader, batches).finally(() => {
        this.inFlightByLeader.set(leader, (this.inFlightByLeader.get(leader) ?? 1) - 1);
        if (this.ready.length > 0) this.drain();
      });
    }
  }

  private async sendRequest(leader: number, batches: Batch[]): Promise<void> {
    // Requests to a leader are written in the order they were formed: compression is async and
    // a later batch of a partition must never overtake an earlier one on the wire.
    const previous = this.writeOrder.get(leader) ?? Promise.resolve();
    let written!: () => void;
    const mine = new Promise<void>((r) => (written = r));
    this.writeOrder.set(leader, mine);
    let res: ProduceResponse;
    try {
      const encoding = Promise.all(batches.map((b) => buildBatch(b.records, { compression: this.codec })));
      const conn = await this.client.connectionToNode(leader);
      const encoded = await encoding;
      await previous;
      const topics = new Map<string, ProduceRequestPartition[]>();
      batches.forEach((b, i) => {
        let l = topics.get(b.topic);
        if (!l) topics.set(b.topic, (l = []));
        l.push(newProduceRequestPartition({ index: b.partition, records: encoded[i]! }));
      });
      const body = { transactionalId: null, acks: this.acks, timeoutMs: this.timeoutMs, topicData: [...topics].map(([name, partitionData]) => newProduceRequestTopic({ name, partitionData })) };
      if (this.acks === 0) {
        const sent = conn.send(ApiKey.Produce, body, { expectResponse: false });
        written();
        await sent;
        await conn.drained();
        for (const b of batches) this.completeBatch(b, -1, -1);
        return;
      }
      // send() writes the request before it returns; only the answer is awaited.
      const answer = conn.send<ProduceResponse>(ApiKey.Produce, body, { extraTimeoutMs: this.timeoutMs });
      written();
      res = await answer;
    } catch (err) {
      for (const b of batches) this.failBatch(b, err as Error);
      return;
    } finally {
      written();
    }
    const byKey = new Map<string, Batch>(batches.map((b) => [`${b.topic}\u0000${b.partition}`, b]));
    for (const t of res.responses) {
      for (const p of t.partitionResponses) {
        const b = byKey.get(`${t.name}\u0000${p.index}`);
        if (!b) continue;
        byKey.delete(`${t.name}\u0000${p.index}`);
        if (p.errorCode === ErrorCode.NONE) this.completeBatch(b, p.baseOffset, p.logAppendTimeMs);
        else if (RETRIABLE_NOT_APPENDED.has(p.errorCode) && b.attempts < this.retries) {
          b.attempts++;
          this.leaders.delete(`${b.topic}\u0000${b.partition}`);
          this.client.forgetTopic(b.topic);
          setTimeout(() => {
            this.ready.unshift(b);
            this.drain();
          }, 100 * b.attempts);
        } else this.failBatch(b, new KafkaResponseError(p.errorCode, `produce to ${b.topic}-${b.partition}`, p.errorMessage));
      }
    }
    for (const b of byKey.values()) this.failBatch(b, new Error(`no answer for ${b.topic}-${b.partition} in the Produce response`));
  }

  private completeBatch(b: Batch, baseOffset: number, logAppendTime: number): void {
    b.records.forEach((r, i) => {
      this.finish(b.callbacks[i], null, { topic: b.topic, partition: b.partition, offset: baseOffset < 0 ? -1 : baseOffset + i, timestamp: logAppendTime >= 0 ? logAppendTime : (r.timestamp ?? -1) });
    });
    this.release(b);
  }

  private failBatch(b: Batch, err: Error): void {
    const i = this.ready.indexOf(b);
    if (i >= 0) this.ready.splice(i, 1);
    this.failure ??= err;
    for (const cb of b.callbacks) this.finish(cb, err, null);
    this.release(b);
  }

  private release(b: Batch): void {
    this.buffered -= b.bytes;
    b.bytes = 0;
    if (!this.full()) for (const w of this.capacityWaiters.splice(0)) w();
  }

  private finish(cb: SendCallback | undefined, err: Error | null, meta: RecordMetadata | null): void {
    this.unfinished--;
    if (cb) {
      try {
        cb(err, meta);
      } catch {
        // A throwing callback must not stop the producer.
      }
    }
    if (this.unfinished === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** The first error any record met, if any (for callers that only look at the end). */
  get firstError(): Error | null {
    return this.failure;
  }
}
