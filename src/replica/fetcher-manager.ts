/**
 * The follower fetchers (Kafka's ReplicaFetcherManager; the FollowerFetchers port of
 * follower-fetchers.ts): one ReplicaFetcher (fetcher.ts) per source broker, each partition in at
 * most one of them. The replica manager adds a partition when this broker becomes its follower (or
 * its leader epoch changes) and removes it when it becomes leader or goes away.
 *
 * A fetcher left without partitions is stopped on the next turn of the event loop, not at once:
 * the replica manager removes and re-adds partitions in one go when their leader epoch changes, and
 * the connection to that leader is kept across it.
 *
 * Connections go to each broker's inter-broker listener, whose address the broker composition
 * supplies (from the metadata image); the bundled client's connection (src/client/connection.ts)
 * negotiates the versions.
 */
import { BrokerConnection } from '../client/connection.js';
import type { SaslCredentials } from '../client/sasl-login.js';
import type { Logger } from '../logger.js';
import { type ConnectFn, type FetcherSettings, ReplicaFetcher } from './fetcher.js';
import type { FollowerFetchers } from './follower-fetchers.js';
import type { Partition } from './partition.js';
import type { ReplicationMetrics } from './replication-metrics.js';
import type { ReplicationQuotas } from './replication-quotas.js';

import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';

/** Where another broker's inter-broker listener is (null: not known now). */
export interface BrokerAddresses {
  addressOf(brokerId: number): { host: string; port: number; sasl?: SaslCredentials | null } | null;
}

export interface FetcherManagerOptions extends FetcherSettings {
  /** How to reach a leader: its inter-broker listener (the default connects with the bundled client). */
  addresses: BrokerAddresses;
  /** replica.socket.timeout.ms: connect and request timeout of the fetch connections. */
  socketTimeoutMs: number;
  log: Logger;
  metrics: ReplicationMetrics | null;
  /** The follower side of the replication throttles (null: none). */
  quotas?: ReplicationQuotas | null;
  /** Tests: replaces the connection to a leader. */
  connect?: ConnectFn;
  /** tls.connect options when the inter-broker listener uses TLS (read per connection: certificates reload). */
  tls?: (() => TlsConnectionOptions) | null;
}

export class ReplicaFetcherManager implements FollowerFetchers {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private readonly owner = new Map<Partition, ReplicaFetcher>();
  private readonly connect: ConnectFn;
  private closed = false;

  constructor(private readonly opts: FetcherManagerOptions) {
    this.connect = opts.connect ?? ((id) => this.connectTo(id));
  }

  addPartitions(leaderId: number, partitions: readonly Partition[]): void {
    if (this.closed) return;
    let fetcher = this.fetchers.get(leaderId);
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcher(leaderId, this.opts, this.connect, this.opts.log.child({ fetcher: leaderId }), this.opts.metrics, this.opts.quotas ?? null);
      this.fetchers.set(leaderId, fetcher);
    }
    for (const p of partitions) {
      const held = this.owner.get(p);
      if (held !== undefined && held !== fetcher) held.remove(p);
      fetcher.add(p);
      if (fetcher.has(p)) this.owner.set(p, fetcher);
    }
    this.stopIdleSoon();
  }

  removePartitions(partitions: readonly Partition[]): void {
    for (const p of partitions) {
      const held = this.owner.get(p);
      if (held === undefined) continue;
      held.remove(p);
      this.owner.delete(p);
      this.opts.metrics?.fetcherRemoved(p.topic, p.partition);
    }
    this.stopIdleSoon();
  }

  /** The fetcher of each partition (tests). */
  fetcherOf(p: Partition): number | null {
    return this.owner.get(p)?.leaderId ?? null;
  }

  /** Stops every fetcher (broker shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.owner.clear();
    await Promise.all(all.map((f) => f.stop()));
  }

  private idleCheck: NodeJS.Immediate | null = null;

  private stopIdleSoon(): void {
    if (this.idleCheck !== null) return;
    this.idleCheck = setImmediate(() => {
      this.idleCheck = null;
      for (const [id, f] of this.fetchers) {
        if (f.size > 0) continue;
        this.fetchers.delete(id);
        void f.stop();
      }
    });
  }

  private async connectTo(brokerId: number): Promise<BrokerConnection> {
    const a = this.opts.addresses.addressOf(brokerId);
    if (a === null) throw new Error(`the address of broker ${brokerId} is not known`);
    const t = this.opts.socketTimeoutMs;
    return BrokerConnection.open(a.host, a.port, { clientId: `broker-${this.opts.brokerId}-fetcher-${brokerId}`, connectTimeoutMs: t, requestTimeoutMs: t, tls: this.opts.tls?.(), sasl: a.sasl });
  }
}
