/**
 * The node port (node.ts) in cluster mode: who this broker is, the cluster id, the controller and
 * every registered broker, answered from the metadata image rather than from this broker alone
 * (LocalNode). Metadata, DescribeCluster, DescribeTopicPartitions and FindCoordinator use it
 * unchanged, plus the cluster-only members: each partition's leader, epoch, replicas, ISR and
 * offline replicas (replicas whose broker is not registered, as KRaft's metadata cache reports
 * them), ElectLeaders, and partition reassignments (AlterPartitionReassignments written through
 * etcd, ListPartitionReassignments from the image).
 *
 * A broker is listed for a listener only when it registered a listener of that name, as Kafka
 * lists only brokers that have the listener the client connected on.
 */
import type { ClusterImage } from './metadata-image.js';
import type { BrokerEndpoint, ElectionOutcome, ListenerAddress, NodePort, PartitionView, ReassignmentAnswer, ReassignmentRequest, ReassignmentView } from './node.js';
import { ongoingReassignments } from './reassignment.js';

/** The cluster writes a ClusterNode passes on (cluster-mode.ts); absent ones are refused. */
export interface ClusterWrites {
  /** ElectLeaders through etcd (controller.ts electLeaders). */
  electLeaders?(partitions: ReadonlyArray<{ topic: string; partition: number }>, type: 0 | 1): Promise<ElectionOutcome[]>;
  /** AlterPartitionReassignments through etcd (reassign.ts). */
  alterPartitionReassignments?(moves: readonly ReassignmentRequest[]): Promise<ReassignmentAnswer[]>;
}

const NONE: readonly number[] = Object.freeze([]);

export class ClusterNode implements NodePort {
  constructor(
    readonly nodeId: number,
    private readonly image: () => ClusterImage,
    /** This broker's own advertised addresses (real ports once bound), for before it is in the image. */
    private readonly advertised: () => ListenerAddress[],
    private readonly writes: ClusterWrites = {},
  ) {}

  get clusterId(): string {
    return this.image().clusterId ?? '';
  }

  get controllerId(): number {
    return this.image().controllerId;
  }

  addressFor(listener: string): ListenerAddress {
    const own = this.advertised();
    return own.find((a) => a.name === listener) ?? own[0]!;
  }

  brokers(listener: string): BrokerEndpoint[] {
    const out: BrokerEndpoint[] = [];
    const image = this.image();
    for (const b of image.brokers.values()) {
      const l = b.listeners.find((x) => x.name === listener);
      if (l) out.push({ nodeId: b.id, host: l.host, port: l.port, rack: b.rack });
    }
    if (!image.brokers.has(this.nodeId)) {
      // Not registered yet (or fenced): clients still reach this broker where they connected.
      const a = this.addressFor(listener);
      out.push({ nodeId: this.nodeId, host: a.host, port: a.port, rack: null });
    }
    return out.sort((a, b) => a.nodeId - b.nodeId);
  }

  departedBroker(id: number, listener: string): BrokerEndpoint | undefined {
    const b = this.image().departedBrokers.get(id);
    const l = b?.listeners.find((x) => x.name === listener);
    return b && l ? { nodeId: b.id, host: l.host, port: l.port, rack: b.rack } : undefined;
  }

  partitionState(topic: string, partition: number): PartitionView | undefined {
    const image = this.image();
    const p = image.partitions.get(topic)?.get(partition);
    if (!p) return undefined;
    let offline: number[] | null = null;
    for (const r of p.replicas) if (!image.brokers.has(r)) (offline ??= []).push(r);
    return { leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, offlineReplicas: offline ?? NONE };
  }

  electLeaders(partitions: ReadonlyArray<{ topic: string; partition: number }>, electionType: 0 | 1): Promise<ElectionOutcome[]> {
    if (!this.writes.electLeaders) return Promise.reject(new Error('leader election is not available'));
    return this.writes.electLeaders(partitions, electionType);
  }

  alterPartitionReassignments(moves: readonly ReassignmentRequest[]): Promise<ReassignmentAnswer[]> {
    if (!this.writes.alterPartitionReassignments) return Promise.reject(new Error('partition reassignment is not available'));
    return this.writes.alterPartitionReassignments(moves);
  }

  partitionReassignments(topics: ReadonlyArray<{ name: string; partitions: readonly number[] }> | null): ReassignmentView[] {
    return ongoingReassignments(this.image(), topics);
  }
}
