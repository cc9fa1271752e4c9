/**
 * The compacted internal topics the broker keeps its own state in — `__consumer_offsets`
 * (groups/offsets-log.ts), `__transaction_state` (txn/txn-log.ts), `_schemas`
 * (schema/schemas-log.ts), `__share_group_state` (share/state-log.ts): created on first need, as Kafka does, and read back from the start at
 * startup. Their record formats live with their owners; this module only creates and reads.
 *
 * Only the broker writes them. A client may read them, but not (Kafka's answers where Kafka has
 * one): produce to them (INVALID_TOPIC_EXCEPTION "Cannot append to internal topic"), delete their
 * records (INVALID_TOPIC_EXCEPTION), delete them or add partitions (INVALID_TOPIC_EXCEPTION: their
 * keys are placed by partition count, and deleting one wipes every offset, transaction or schema),
 * make them anything but compacted (INVALID_CONFIG), or have them auto-created as ordinary topics
 * by Metadata. `_schemas` is Confluent's topic, not internal to Kafka, but holds the registry's
 * state here, so it gets the same protection; a client may still create it, compacted.
 */
import { CompressionType, batch } from '../../protocol/records/batch.js';
import { forEachRecord, forEachRecordSync, type BatchRecord } from '../../protocol/records/records.js';
import type { Partition } from './partitions.js';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
export const SCHEMAS_TOPIC = '_schemas';
export const SHARE_GROUP_STATE_TOPIC = '__share_group_state';

/** The topics holding the broker's own state (see the header). */
const BROKER_STATE_TOPICS: ReadonlySet<string> = new Set([CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, SCHEMAS_TOPIC, SHARE_GROUP_STATE_TOPIC]);

export function isBrokerStateTopic(name: string): boolean {
  return BROKER_STATE_TOPICS.has(name);
}

/** The only cleanup.policy a broker-state topic may have: anything else lets retention delete state. */
export function isCompactOnly(policy: unknown): boolean {
  const list = Array.isArray(policy) ? policy : [String(policy)];
  return list.length === 1 && list[0] === 'compact';
}

export interface InternalTopicSettings {
  partitions: number;
  /** Topic configs besides cleanup.policy=compact and compression.type=producer. */
  configs?: Array<[string, string]>;
}

/** What an internal topic needs of the topic metadata: lookup and creation (the topic manager). */
export interface InternalTopicHost {
  get(name: string): object | undefined;
  create(name: string, opts: { partitions: number; replicationFactor: number; configs: Array<[string, string | null]>; internal?: boolean }): Promise<unknown>;
}

/** One internal topic: whether it exists, and its creation shared by every concurrent caller. */
export class InternalTopic {
  private creating: Promise<void> | null = null;

  constructor(
    private readonly topics: InternalTopicHost,
    readonly name: string,
    /** Read at creation time (the broker config may have changed since startup). */
    private readonly settings: () => InternalTopicSettings,
  ) {}

  exists(): boolean {
    return this.topics.get(this.name) !== undefined;
  }

  /** Creates the topic if it does not exist yet. */
  ensure(): Promise<void> {
    // While we create it the topic is already listed but its partition logs are still being made:
    // everyone waits for the creation, not just its first caller.
    if (this.creating) return this.creating;
    if (this.exists()) return Promise.resolve();
    const s = this.settings();
    this.creating = this.topics
      .create(this.name, {
        partitions: s.partitions,
        replicationFactor: 1,
        configs: [['cleanup.policy', 'compact'], ['compression.type', 'producer'], ...(s.configs ?? [])],
        internal: true,
      })
      .then(
        () => undefined,
        (err: unknown) => {
          // Lost a race with another creator (e.g. CreateTopics from a client): fine if it exists.
          if (this.exists()) return;
          throw err;
        },
      )
      .finally(() => {
        this.creating = null;
      });
    return this.creating;
  }
}

export interface ReplayHandlers {
  /** Every record of every data batch, in log order, with its offset. */
  onRecord(record: BatchRecord, offset: number): void;
  /** Before the records of each data batch (e.g. to note its producer). */
  onDataBatch?(b: Buffer): void;
  /** Each control batch (transaction markers); its records are not passed to onRecord. */
  onControlBatch?(b: Buffer): void;
}

/**
 * Reads one partition of an internal topic from `from` (default: its log start) to its high
 * watermark — or, with `toLogEnd`, to its log end — batch by batch; resolves with the offset after
 * the last batch read (where a later read goes on). A batch that does not decode is an error
 * naming the partition and offset: the state it holds would be wrong without it.
 *
 * `toLogEnd` is for a coordinator loading the partition it now leads (Kafka's loaders read to the
 * log end too): a new leader's high watermark may still lag the old leader's for a moment, while
 * its log already holds every write the old leader acknowledged.
 */
export async function replayPartition(log: Partition, handlers: ReplayHandlers, from = log.logStartOffset, toLogEnd = false): Promise<number> {
  from = Math.max(from, log.logStartOffset);
  const end = toLogEnd ? Math.max(log.highWatermark, log.logEndOffset) : log.highWatermark;
  while (from < end) {
    const batches = await log.readBatches(from, 4 * 1024 * 1024);
    if (batches.length === 0) break;
    for (const b of batches) {
      const last = batch.lastOffset(b);
      if (last < from) continue;
      from = last + 1;
      if (batch.isControl(b)) {
        handlers.onControlBatch?.(b);
        continue;
      }
      handlers.onDataBatch?.(b);
      const base = batch.baseOffset(b);
      const onRecord = (r: BatchRecord): void => handlers.onRecord(r, base + r.offsetDelta);
      const opts = { allowOffsetGaps: true };
      const error = batch.compression(b) === CompressionType.None ? forEachRecordSync(b, onRecord, opts) : await forEachRecord(b, onRecord, opts);
      if (error !== null) throw new Error(`${log.topic}-${log.partition}: unreadable batch at offset ${base}: ${error}`);
    }
  }
  return from;
}
