/**
 * The ISR writer over etcd (docs/cluster.md, "The ISR"): Kafka's AlterPartition, written by the
 * partition leader directly as one etcd transaction on the partition key P/partitions/<t>/<p>.
 *
 * It reads the key, checks that the stored state is the one the leader computed from (same
 * leader, leader epoch and partition epoch; else 'stale' — Kafka's FENCED_LEADER_EPOCH /
 * INVALID_UPDATE_VERSION), and writes the new ISR with partitionEpoch + 1 in a transaction
 * conditioned on:
 *  - the key's mod_revision as read (nobody wrote it since: the controller's leader elections and
 *    ISR removals on broker loss bump it too);
 *  - the leader's registration key existing (a broker whose lease expired leads nothing);
 *  - each added replica's registration key existing (KRaft lets only live, unfenced brokers join
 *    the ISR; a broker that died after its last fetch must not come back in).
 * When the transaction fails, its failure branch reads the key, and that state is answered.
 * etcd being unreachable rejects; the leader retries at its next ISR check.
 */
import type { Compare, KeyValue, TxnOp, TxnResult } from '../cluster/etcd-types.js';
import { present, unchanged } from '../cluster/etcd-types.js';
import { type PartitionState, brokerKey, decodePartitionState, encodePartitionState, partitionKey } from '../cluster/records.js';
import type { AlterIsrRequest, AlterIsrResult, IsrWriter, StoredPartitionState } from './isr-writer.js';

/** What the writer uses of the etcd client (src/cluster/etcd.ts's EtcdStore satisfies it). */
export interface IsrStore {
  get(key: string): Promise<{ kv: KeyValue | null }>;
  txn(compares: readonly Compare[], success: readonly TxnOp[], failure?: readonly TxnOp[]): Promise<TxnResult>;
}

function stored(s: PartitionState | null): StoredPartitionState | null {
  return s === null ? null : { leader: s.leader, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, replicas: s.replicas, isr: s.isr };
}

const decode = (kv: KeyValue | null | undefined): PartitionState | null => (kv ? decodePartitionState(kv.value) : null);

export class EtcdIsrWriter implements IsrWriter {
  constructor(private readonly store: IsrStore) {}

  async alterIsr(req: AlterIsrRequest): Promise<AlterIsrResult> {
    const key = partitionKey(req.topic, req.partition);
    const { kv } = await this.store.get(key);
    const current = decode(kv);
    if (kv === null || current === null) return { kind: 'stale', state: null };
    if (current.leader !== req.leader || current.leaderEpoch !== req.leaderEpoch || current.partitionEpoch !== req.partitionEpoch) {
      return { kind: 'stale', state: stored(current) };
    }
    // The ISR only ever holds assigned replicas, the leader always among them.
    const isr = req.isr.filter((id, i) => current.replicas.includes(id) && req.isr.indexOf(id) === i);
    if (!isr.includes(req.leader)) return { kind: 'stale', state: stored(current) };
    const next: PartitionState = { ...current, isr, partitionEpoch: current.partitionEpoch + 1 };
    const compares: Compare[] = [unchanged(key, kv.modRevision), present(brokerKey(req.leader))];
    for (const id of req.added) compares.push(present(brokerKey(id)));
    const r = await this.store.txn(compares, [{ op: 'put', key, value: encodePartitionState(next) }], [{ op: 'get', key }]);
    if (r.succeeded) return { kind: 'ok', state: stored(next)! };
    return { kind: 'stale', state: stored(decode(r.gets[0]?.[0])) };
  }
}
