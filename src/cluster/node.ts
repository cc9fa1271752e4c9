/**
 * The node port: who this broker is in its cluster — node id, cluster id, the controller, and the
 * addresses clients reach the brokers at, per listener (Metadata, DescribeCluster,
 * FindCoordinator). LocalNode is the single-broker cluster: this node is every broker and the
 * controller. In cluster mode ClusterNode (cluster-node.ts) answers from the metadata image.
 */

/** A named listener's address as clients should use it. */
export interface ListenerAddress {
  name: string;
  host: string;
  port: number;
}

/** One broker as clients of a listener see it. */
export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** A partition's leadership as the cluster's controller decided it. */
export interface PartitionView {
  /** -1: no leader (offline). */
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** Replicas on brokers that are not registered (down). */
  offlineReplicas: readonly number[];
}

/** One partition's answer to ElectLeaders. */
export interface ElectionOutcome {
  topic: string;
  partition: number;
  errorCode: number;
  message: string | null;
}

/** One partition's move for AlterPartitionReassignments: target replicas, or null to cancel. */
export interface ReassignmentRequest {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

/** One partition's answer to AlterPartitionReassignments. */
export type ReassignmentAnswer = ElectionOutcome;

/** One partition in reassignment (ListPartitionReassignments). */
export interface ReassignmentView {
  topic: string;
  partition: number;
  replicas: readonly number[];
  adding: readonly number[];
  removing: readonly number[];
}

export interface NodePort {
  readonly nodeId: number;
  /** The cluster id from meta.properties ('' until the data directory is loaded). */
  readonly clusterId: string;
  /** The node that is the controller. */
  readonly controllerId: number;
  /** Where clients that connected on `listener` reach this node. */
  addressFor(listener: string): ListenerAddress;
  /** Every broker of the cluster, at the addresses of `listener`. */
  brokers(listener: string): BrokerEndpoint[];
  /**
   * Cluster mode only: where a broker that is no longer registered was last reached on `listener`
   * (undefined: never registered, or not on that listener). Metadata lists such a broker while a
   * partition still names it leader, so that clients never see a leader missing from the brokers.
   */
  departedBroker?(id: number, listener: string): BrokerEndpoint | undefined;
  /**
   * Cluster mode only: the partition as the metadata image has it (undefined: not in the image).
   * A single node has no such method: its hosted partitions answer for themselves.
   */
  partitionState?(topic: string, partition: number): PartitionView | undefined;
  /** Cluster mode only: ElectLeaders (0 preferred, 1 unclean) written to the cluster. */
  electLeaders?(partitions: ReadonlyArray<{ topic: string; partition: number }>, electionType: 0 | 1): Promise<ElectionOutcome[]>;
  /** Cluster mode only: AlterPartitionReassignments written to the cluster, one answer per request entry. */
  alterPartitionReassignments?(moves: readonly ReassignmentRequest[]): Promise<ReassignmentAnswer[]>;
  /** Cluster mode only: the reassignments in progress (all of them, or of the named partitions). */
  partitionReassignments?(topics: ReadonlyArray<{ name: string; partitions: readonly number[] }> | null): ReassignmentView[];
}

export class LocalNode implements NodePort {
  clusterId = '';
  /** Where clients reach us, per listener name, with real ports once bound (server/listener.ts). */
  advertised: ListenerAddress[] = [];

  constructor(readonly nodeId: number) {}

  get controllerId(): number {
    return this.nodeId;
  }

  addressFor(listener: string): ListenerAddress {
    return this.advertised.find((a) => a.name === listener) ?? this.advertised[0]!;
  }

  brokers(listener: string): BrokerEndpoint[] {
    const a = this.addressFor(listener);
    return [{ nodeId: this.nodeId, host: a.host, port: a.port, rack: null }];
  }
}
