/**
 * Cluster mode: dead-letter copies (dead-letter.ts) for a dead-letter partition led by another
 * broker. The copy goes to that leader as an ordinary Produce (v9, acks=all, bounded by
 * request.timeout.ms) over the inter-broker connections the persister already holds
 * (remote-state.ts); an answered Produce means the copy is on every in-sync replica, so it
 * survives that leader's death. Deduplication is two-fold: the copies are idempotent batches
 * (dead-letter-producer.ts), and a retry of one whose answer was uncertain is the same batch again,
 * which the leader appends at most once; where that cannot help (this broker restarted: its
 * producer ids died with it; the leader lost the producer's state), the writer reads the tail of
 * the dead-letter partition from its current leader with a consumer Fetch (up to the high
 * watermark: only committed copies count) and skips records already there, by the record's
 * identity in its headers.
 */
import { ErrorCode, KafkaError, type ErrorCodeValue } from '../../protocol/errors.js';

const PRODUCE = 0;
const FETCH = 1; // the bundled client sends v12 at most: topics by name
const LIST_OFFSETS = 2;
const LATEST = -1;
const EARLIEST = -2;

/** Sends one request to a broker's inter-broker listener (BrokerShareState.request). */
export type BrokerRequest = <T extends object>(broker: number, apiKey: number, body: object) => Promise<T>;

export interface RemoteDeadLetterOptions {
  brokerId: number;
  leaderOf(topic: string, partition: number): number;
  request: BrokerRequest;
  requestTimeoutMs: () => number;
  /** A new producer id (the broker's allocator, as InitProducerId uses). */
  allocateProducerId: () => Promise<number>;
}

/** How the dead-letter writer reaches a dead-letter partition led elsewhere. */
export interface RemoteDeadLetterSink {
  /** The partition's leader now (-1: none), per the metadata image. */
  leaderOf(topic: string, partition: number): number;
  /** A producer id for this broker's idempotent dead-letter copies. */
  allocateProducerId(): Promise<number>;
  /** Appends `batch` at `leader` with acks=all; throws KafkaError unless acknowledged. */
  produce(leader: number, topic: string, partition: number, batch: Buffer): Promise<void>;
  /** The committed record batches of the partition's last `tailOffsets` offsets at `leader`, at most `maxBytes`. */
  tail(leader: number, topic: string, partition: number, tailOffsets: number, maxBytes: number): Promise<Buffer[]>;
}

export class BrokerDeadLetterSink implements RemoteDeadLetterSink {
  constructor(private readonly opts: RemoteDeadLetterOptions) {}

  leaderOf(topic: string, partition: number): number {
    const l = this.opts.leaderOf(topic, partition);
    return l === this.opts.brokerId ? -1 : l;
  }

  allocateProducerId(): Promise<number> {
    return this.opts.allocateProducerId();
  }

  async produce(leader: number, topic: string, partition: number, batch: Buffer): Promise<void> {
    const res = await this.opts.request<any>(leader, PRODUCE, { acks: -1, timeoutMs: this.opts.requestTimeoutMs(), transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
    const p = res.responses?.[0]?.partitionResponses?.[0];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Produce answered no partition');
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode as ErrorCodeValue, p.errorMessage ?? `dead-letter Produce to ${topic}-${partition} failed`);
  }

  async tail(leader: number, topic: string, partition: number, tailOffsets: number, maxBytes: number): Promise<Buffer[]> {
    // First the partition's bounds (ListOffsets earliest and latest: the high watermark), then its tail.
    const highWatermark = await this.listOffset(leader, topic, partition, LATEST);
    const logStart = await this.listOffset(leader, topic, partition, EARLIEST);
    const from = Math.max(logStart, highWatermark - tailOffsets);
    if (from >= highWatermark) return [];
    return this.fetch(leader, topic, partition, from, maxBytes);
  }

  private async listOffset(leader: number, topic: string, partition: number, timestamp: number): Promise<number> {
    const res = await this.opts.request<any>(leader, LIST_OFFSETS, { replicaId: -1, isolationLevel: 0, timeoutMs: this.opts.requestTimeoutMs(), topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }] });
    const p = res.topics?.[0]?.partitions?.[0];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'ListOffsets answered no partition');
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode as ErrorCodeValue, `dead-letter ListOffsets of ${topic}-${partition} failed`);
    return Number(p.offset);
  }

  private async fetch(leader: number, topic: string, partition: number, offset: number, maxBytes: number): Promise<Buffer[]> {
    const res = await this.opts.request<any>(leader, FETCH, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: maxBytes }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const p = res.responses?.[0]?.partitions?.[0];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Fetch answered no partition');
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode as ErrorCodeValue, `dead-letter tail Fetch of ${topic}-${partition} failed`);
    const out: Buffer[] = [];
    const bytes: Buffer = p.records ?? Buffer.alloc(0);
    // Whole batches only (a fetch may end in a partial one).
    for (let pos = 0; pos + 12 <= bytes.length; ) {
      const end = pos + 12 + bytes.readInt32BE(pos + 8);
      if (end > bytes.length) break;
      out.push(bytes.subarray(pos, end));
      pos = end;
    }
    return out;
  }
}
