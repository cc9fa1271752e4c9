/**
 * The node port (node.ts) in cluster mode: who this broker is, the cluster id, the controller and
 * every registered broker, answered from the metadata image rather than from this broker alone
 * (LocalNode). Metadata, DescribeCluster and FindCoordinator use it unchanged.
 *
 * A broker is listed for a listener only when it registered a listener of that name, as Kafka
 * lists only brokers that have the listener the client connected on.
 */
import type { ClusterImage } from './metadata-image.js';
import type { BrokerEndpoint, ListenerAddress, NodePort } from './node.js';

export class ClusterNode implements NodePort {
  constructor(
    readonly nodeId: number,
    private readonly image: () => ClusterImage,
    /** This broker's own advertised addresses (real ports once bound), for before it is in the image. */
    private readonly advertised: () => ListenerAddress[],
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
}
