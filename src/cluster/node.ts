/**
 * The node port: who this broker is in its cluster — node id, cluster id, the controller, and the
 * addresses clients reach the brokers at, per listener (Metadata, DescribeCluster,
 * FindCoordinator). LocalNode is the single-broker cluster: this node is every broker and the
 * controller. A cluster layer (DESIGN §5) puts the registered brokers behind the same port.
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
