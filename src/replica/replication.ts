/**
 * Cluster-mode replication, composed (docs/cluster.md, "Replication", "The ISR"): what the broker
 * composition builds once in cluster mode and hands to the ReplicaManager —
 *  - `context`, given to every Partition (ISR writer, replica.lag.time.max.ms, metrics, logger);
 *  - `fetchers`, the FollowerFetchers implementation (fetcher-manager.ts);
 *  - the ISR shrink check (isr-expiration.ts), started with the partitions this broker leads;
 *  - `quotas`, the replication throttles (replication-quotas.ts) both sides apply; the broker
 *    feeds it the topics' throttled-replicas configs;
 *  - `metrics`, rendered on /metrics.
 * Single node: none of this exists.
 *
 * Wiring (src/broker.ts, cluster mode):
 *   const replication = new Replication({ brokerId, config, isrWriter: new EtcdIsrWriter(store), addresses, log, maxPartitionSeries });
 *   const rm = new ReplicaManager({ ..., replication: replication.context, cluster: { ..., fetchers: replication.fetchers } });
 *   replication.start(() => rm.leaderPartitions(), (topic) => minInsyncReplicasOf(topic));
 *   Broker (BrokerStatus).replication = replication   // /metrics
 *   ... on shutdown: await replication.close();
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ClusterImage } from '../cluster/metadata-image.js';
import type { ConfigView } from '../config/view.js';
import type { Logger } from '../logger.js';
import { type BrokerAddresses, ReplicaFetcherManager } from './fetcher-manager.js';
import type { ConnectFn, FetcherSettings } from './fetcher.js';
import { IsrExpiration } from './isr-expiration.js';
import type { IsrWriter } from './isr-writer.js';
import type { Partition } from './partition.js';
import type { ReplicationContext, TransactionalPartitionsPort } from './replication-context.js';
import { type MetricsWriter, ReplicationMetrics } from './replication-metrics.js';
import { ReplicationQuotas } from './replication-quotas.js';

export interface ReplicationOptions {
  brokerId: number;
  config: ConfigView;
  isrWriter: IsrWriter | null;
  addresses: BrokerAddresses;
  log: Logger;
  /** runnel.metrics.max.partition.series (the fetcher lag series are capped by it). */
  maxPartitionSeries: number;
  /** A partition starts leading here (the broker drops its producer state: ReplicationContext.onBecameLeader). */
  onBecameLeader?: (partition: Partition) => void;
  /** The partitions ever part of a transaction: followers record theirs before appending one (ReplicationContext). */
  transactionalPartitions?: TransactionalPartitionsPort;
  /**
   * Whether a broker may hold back the high watermark without being in the ISR, and may join it:
   * registered and not in a controlled shutdown (Kafka's isReplicaIsrEligible). Absent: every
   * registered broker.
   */
  isrEligible?: (brokerId: number) => boolean;
  /** Tests: replace the connections to leaders, the clock. */
  connect?: ConnectFn;
  now?: () => number;
  /** tls.connect options when the inter-broker listener uses TLS (read per connection: certificates reload). */
  tls?: (() => TlsConnectionOptions) | null;
}

/**
 * Where followers reach other brokers: their listener named `listenerName` (inter.broker.listener.name)
 * as registered in the metadata image, else their first one; null for a broker not registered now.
 */
export function imageAddresses(image: () => ClusterImage, listenerName: string | null): BrokerAddresses {
  return {
    addressOf(brokerId) {
      const b = image().brokers.get(brokerId);
      const l = b?.listeners.find((x) => x.name === listenerName) ?? b?.listeners[0];
      return l ? { host: l.host, port: l.port } : null;
    },
  };
}

/** The follower fetch settings from the broker config (Kafka's keys). */
export function fetcherSettings(brokerId: number, config: ConfigView): FetcherSettings & { socketTimeoutMs: number } {
  return {
    brokerId,
    maxWaitMs: config.int('replica.fetch.wait.max.ms'),
    minBytes: config.int('replica.fetch.min.bytes'),
    maxBytes: config.int('replica.fetch.max.bytes'),
    responseMaxBytes: config.int('replica.fetch.response.max.bytes'),
    backoffMs: config.int('replica.fetch.backoff.ms'),
    socketTimeoutMs: config.int('replica.socket.timeout.ms'),
  };
}

export class Replication {
  readonly context: ReplicationContext;
  readonly fetchers: ReplicaFetcherManager;
  readonly metrics: ReplicationMetrics;
  readonly quotas: ReplicationQuotas;
  private expiration: IsrExpiration | null = null;
  private leaders: () => Iterable<Partition> = () => [];
  private minInsyncReplicas: (topic: string) => number = () => 1;

  constructor(private readonly opts: ReplicationOptions) {
    this.metrics = new ReplicationMetrics(opts.maxPartitionSeries);
    const log = opts.log.child({ module: 'replication' });
    const now = opts.now ?? Date.now;
    this.quotas = new ReplicationQuotas(opts.brokerId, opts.config, now);
    this.context = {
      isrWriter: opts.isrWriter,
      replicaLagTimeMaxMs: opts.config.int('replica.lag.time.max.ms'),
      metrics: this.metrics,
      logger: log,
      now,
      onBecameLeader: opts.onBecameLeader,
      transactionalPartitions: opts.transactionalPartitions,
      quotas: this.quotas,
      // Registered in the metadata image = holds a live etcd lease.
      isBrokerAlive: (id) => opts.addresses.addressOf(id) !== null,
      isBrokerIsrEligible: opts.isrEligible ?? ((id) => opts.addresses.addressOf(id) !== null),
    };
    this.fetchers = new ReplicaFetcherManager({ ...fetcherSettings(opts.brokerId, opts.config), addresses: opts.addresses, log, metrics: this.metrics, quotas: this.quotas, connect: opts.connect, tls: opts.tls });
  }

  /**
   * Starts the ISR shrink check over the partitions this broker leads; `minInsyncReplicas` (each
   * topic's min.insync.replicas) feeds the under-min-ISR gauge.
   */
  start(leaders: () => Iterable<Partition>, minInsyncReplicas: (topic: string) => number = () => 1): void {
    this.leaders = leaders;
    this.minInsyncReplicas = minInsyncReplicas;
    this.expiration ??= new IsrExpiration(leaders, this.context.replicaLagTimeMaxMs, this.context.now);
    this.expiration.start();
  }

  /** /metrics (admin-http/broker-metrics.ts, through BrokerStatus.replication). */
  render(w: MetricsWriter): void {
    this.metrics.render(w, this.leaders(), this.minInsyncReplicas);
    this.quotas.render(w);
  }

  async close(): Promise<void> {
    this.expiration?.stop();
    await this.fetchers.close();
  }
}
