/**
 * Replica placement for new partitions, as Kafka's AdminUtils.assignReplicasToBrokers (the
 * ZooKeeper-era rule Runnel's design follows):
 * - The first replica of each partition goes round-robin over the brokers, from a random start.
 * - Further replicas follow at an increasing shift, so a broker's partitions have their other
 *   replicas spread over the other brokers.
 * - If every broker has a rack, the brokers are first interleaved rack by rack, and a further
 *   replica skips brokers whose rack (or which broker itself) already has one while another rack
 *   (broker) has none.
 * Brokers where only some have a rack are refused, as Kafka refuses them.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

export interface PlacementBroker {
  id: number;
  rack: string | null;
}

export interface PlacementOptions {
  /** Start position in the broker list and of the replica shift; random when absent (Kafka: -1). */
  fixedStartIndex?: number;
  /** The first partition id to assign (adding partitions to a topic): its count so far. */
  startPartitionId?: number;
  /** Random integer in [0, n) (tests pass a fixed one). */
  random?: (n: number) => number;
}

/** Returns partition id → replica broker ids (the first is the preferred leader). */
export function assignReplicasToBrokers(brokers: readonly PlacementBroker[], partitions: number, replicationFactor: number, options: PlacementOptions = {}): Map<number, number[]> {
  if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`);
  }
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  const withRack = sorted.filter((b) => b.rack !== null).length;
  if (withRack === 0) return assignRackUnaware(sorted.map((b) => b.id), partitions, replicationFactor, options);
  if (withRack < sorted.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Not all brokers have rack information for replica rack aware assignment.');
  return assignRackAware(sorted as Array<PlacementBroker & { rack: string }>, partitions, replicationFactor, options);
}

const defaultRandom = (n: number) => Math.floor(Math.random() * n);

function start(options: PlacementOptions, n: number): { startIndex: number; shift: number } {
  const fixed = options.fixedStartIndex ?? -1;
  const random = options.random ?? defaultRandom;
  return fixed >= 0 ? { startIndex: fixed, shift: fixed } : { startIndex: random(n), shift: random(n) };
}

/** The broker index of a partition's (replica+2)th replica: first + 1 + (shift + replica) mod (n - 1). */
function replicaIndex(firstReplicaIndex: number, shift: number, replica: number, n: number): number {
  return (firstReplicaIndex + 1 + ((shift + replica) % (n - 1))) % n;
}

function assignRackUnaware(ids: number[], partitions: number, replicationFactor: number, options: PlacementOptions): Map<number, number[]> {
  const n = ids.length;
  const out = new Map<number, number[]>();
  let { startIndex, shift } = start(options, n);
  let partition = Math.max(0, options.startPartitionId ?? -1);
  for (let i = 0; i < partitions; i++, partition++) {
    if (partition > 0 && partition % n === 0) shift++;
    const first = (partition + startIndex) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(ids[replicaIndex(first, shift, j, n)]!);
    out.set(partition, replicas);
  }
  return out;
}

/** Brokers interleaved by rack: racks in name order, each rack's brokers in id order. */
export function rackAlternatedBrokers(brokers: ReadonlyArray<{ id: number; rack: string }>): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of brokers) {
    const list = byRack.get(b.rack) ?? [];
    list.push(b.id);
    byRack.set(b.rack, list);
  }
  const racks = [...byRack.keys()].sort();
  for (const list of byRack.values()) list.sort((a, b) => a - b);
  const next = new Map(racks.map((r) => [r, 0]));
  const out: number[] = [];
  for (let r = 0; out.length < brokers.length; r = (r + 1) % racks.length) {
    const rack = racks[r]!;
    const list = byRack.get(rack)!;
    const i = next.get(rack)!;
    if (i < list.length) {
      out.push(list[i]!);
      next.set(rack, i + 1);
    }
  }
  return out;
}

function assignRackAware(brokers: Array<{ id: number; rack: string }>, partitions: number, replicationFactor: number, options: PlacementOptions): Map<number, number[]> {
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack]));
  const numRacks = new Set(rackOf.values()).size;
  const arranged = rackAlternatedBrokers(brokers);
  const n = arranged.length;
  const out = new Map<number, number[]>();
  let { startIndex, shift } = start(options, n);
  let partition = Math.max(0, options.startPartitionId ?? -1);
  for (let i = 0; i < partitions; i++, partition++) {
    if (partition > 0 && partition % n === 0) shift++;
    const first = (partition + startIndex) % n;
    const leader = arranged[first]!;
    const replicas = [leader];
    const racksWithReplicas = new Set([rackOf.get(leader)!]);
    const brokersWithReplicas = new Set([leader]);
    let k = 0;
    for (let j = 0; j < replicationFactor - 1; j++) {
      for (;;) {
        const broker = arranged[replicaIndex(first, shift * numRacks, k, n)]!;
        const rack = rackOf.get(broker)!;
        k++;
        // Skip a broker whose rack already has a replica while some rack has none, or that
        // already has one while some broker has none.
        if ((!racksWithReplicas.has(rack) || racksWithReplicas.size === numRacks) && (!brokersWithReplicas.has(broker) || brokersWithReplicas.size === n)) {
          replicas.push(broker);
          racksWithReplicas.add(rack);
          brokersWithReplicas.add(broker);
          break;
        }
      }
    }
    out.set(partition, replicas);
  }
  return out;
}

/**
 * Placement of partitions added to a topic (Kafka's addPartitions): as many replicas as the
 * topic's partition 0 has, starting at the broker that leads partition 0, numbered after the
 * existing ones.
 */
export function assignAddedPartitions(brokers: readonly PlacementBroker[], existing: ReadonlyMap<number, readonly number[]>, newCount: number): Map<number, number[]> {
  const p0 = existing.get(0);
  if (!p0 || p0.length === 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'The topic has no partition 0 to follow.');
  const ids = [...brokers].map((b) => b.id).sort((a, b) => a - b);
  const startIndex = Math.max(0, ids.findIndex((id) => id >= p0[0]!));
  return assignReplicasToBrokers(brokers, newCount - existing.size, p0.length, { fixedStartIndex: startIndex, startPartitionId: existing.size });
}
