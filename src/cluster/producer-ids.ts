/**
 * Producer id blocks for the whole cluster (docs/cluster.md, "Coordinators"): `P/producer-ids`
 * holds the last block handed out, and a broker takes the next one by compare-and-swap on that
 * key's mod_revision, so no two brokers ever get overlapping ids. Blocks are 1000 ids, as Kafka's
 * (ProducerIdManager's PID_BLOCK_SIZE); a broker asks for another block when it has used its own.
 *
 * A lost race re-reads and tries again; after MAX_ATTEMPTS lost races (as many brokers asking at
 * once) it fails with REQUEST_TIMED_OUT, retriable.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { EtcdStore } from './etcd.js';
import { sleep, unchanged } from './etcd-types.js';
import { PRODUCER_IDS_KEY, type ProducerIdBlock, decodeProducerIdBlock, encode } from './records.js';
import { asKafkaError } from './topic-store.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;
const MAX_ATTEMPTS = 20;

/** Allocates the next block of producer ids for `brokerId`. */
export async function allocateProducerIdBlock(store: EtcdStore, brokerId: number): Promise<ProducerIdBlock> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { kv } = await store.get(PRODUCER_IDS_KEY);
      const last = kv ? decodeProducerIdBlock(kv.value) : null;
      if (kv && !last) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `etcd key ${store.root}${PRODUCER_IDS_KEY} does not hold a producer id block`);
      const first = last ? last.lastProducerId + 1 : 0;
      if (first + PRODUCER_ID_BLOCK_SIZE - 1 > Number.MAX_SAFE_INTEGER) {
        throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Exhausted all producerIds: the next block would end past ${Number.MAX_SAFE_INTEGER}`);
      }
      const block: ProducerIdBlock = { brokerId, firstProducerId: first, lastProducerId: first + PRODUCER_ID_BLOCK_SIZE - 1 };
      const r = await store.txn([unchanged(PRODUCER_IDS_KEY, kv?.modRevision ?? 0)], [{ op: 'put', key: PRODUCER_IDS_KEY, value: encode(block) }]);
      if (r.succeeded) return block;
    } catch (err) {
      throw asKafkaError(err, 'allocate a producer id block');
    }
    if (attempt >= MAX_ATTEMPTS) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `allocate a producer id block: lost ${MAX_ATTEMPTS} races for ${PRODUCER_IDS_KEY}; retry`);
    // Spread the retries of brokers that lost the same race.
    await sleep(Math.floor(Math.random() * 10 * attempt));
  }
}

/**
 * The producer ids port (txn/port.ts ProducerIdsPort) in cluster mode: ids from this broker's
 * current block, a new block from etcd when it is used up (concurrent callers share the request).
 * Ids left in a block when the broker stops are never used, as with Kafka's blocks.
 */
export class ProducerIdBlocks {
  private next = 0;
  private last = -1;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly store: EtcdStore,
    private readonly brokerId: number,
  ) {}

  async allocate(): Promise<number> {
    while (this.next > this.last) {
      this.pending ??= allocateProducerIdBlock(this.store, this.brokerId)
        .then((block) => {
          this.next = block.firstProducerId;
          this.last = block.lastProducerId;
        })
        .finally(() => {
          this.pending = null;
        });
      await this.pending;
    }
    return this.next++;
  }
}
