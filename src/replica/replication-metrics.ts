/**
 * Replication metrics with Kafka's names (as the JMX exporter renders the MBeans):
 *   kafka_server_replicamanager_isrshrinks_total / _isrexpands_total   (IsrShrinksPerSec / IsrExpandsPerSec meters)
 *   kafka_server_replicamanager_underreplicatedpartitions              led here, ISR smaller than the replicas
 *   kafka_server_replicamanager_underminisrpartitioncount              led here, ISR below min.insync.replicas
 *   kafka_server_fetcherlagmetrics_consumerlag{topic,partition}        followed here: leader's high watermark − our end
 * Counters move on ISR changes and fetch responses (never per record); the gauges are computed at
 * scrape time from the partitions. The replication throttles' metrics (byte rates of throttled
 * replicas) are rendered by replication-quotas.ts.
 */
/** What render writes to (admin-http/prometheus-text.ts's PrometheusText satisfies it). */
export interface MetricsWriter {
  family(name: string, type: 'counter' | 'gauge', help: string): unknown;
  sample(name: string, value: number, labels?: Record<string, string | number>): unknown;
}

/** What render needs of a hosted partition. */
export interface ReplicatedPartitionView {
  readonly topic: string;
  readonly partition: number;
  readonly isLeader: boolean;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export class ReplicationMetrics {
  isrShrinks = 0;
  isrExpands = 0;
  /** Per followed partition (`topic-partition`): the lag seen in the last fetch response. */
  private readonly lag = new Map<string, { topic: string; partition: number; lag: number }>();

  constructor(private readonly maxPartitionSeries: number) {}

  fetcherLag(topic: string, partition: number, lag: number): void {
    const key = `${topic}\u0000${partition}`;
    const e = this.lag.get(key);
    if (e !== undefined) e.lag = lag;
    else if (this.lag.size < this.maxPartitionSeries) this.lag.set(key, { topic, partition, lag });
  }

  /** The partition is no longer followed here: its lag series goes. */
  fetcherRemoved(topic: string, partition: number): void {
    this.lag.delete(`${topic}\u0000${partition}`);
  }

  render(w: MetricsWriter, partitions: Iterable<ReplicatedPartitionView>, minInsyncReplicas: (topic: string) => number): void {
    w.family('kafka_server_replicamanager_isrshrinks_total', 'counter', 'ISR shrinks written by this broker as leader (Kafka IsrShrinksPerSec).');
    w.sample('kafka_server_replicamanager_isrshrinks_total', this.isrShrinks);
    w.family('kafka_server_replicamanager_isrexpands_total', 'counter', 'ISR expansions written by this broker as leader (Kafka IsrExpandsPerSec).');
    w.sample('kafka_server_replicamanager_isrexpands_total', this.isrExpands);
    let under = 0;
    let underMin = 0;
    for (const p of partitions) {
      if (!p.isLeader) continue;
      if (p.isr.length < p.replicas.length) under++;
      if (p.isr.length < minInsyncReplicas(p.topic)) underMin++;
    }
    w.family('kafka_server_replicamanager_underreplicatedpartitions', 'gauge', 'Partitions led here whose ISR is smaller than their replica set.');
    w.sample('kafka_server_replicamanager_underreplicatedpartitions', under);
    w.family('kafka_server_replicamanager_underminisrpartitioncount', 'gauge', 'Partitions led here whose ISR is below min.insync.replicas (acks=all is refused).');
    w.sample('kafka_server_replicamanager_underminisrpartitioncount', underMin);
    w.family('kafka_server_fetcherlagmetrics_consumerlag', 'gauge', "Followed partitions: the leader's high watermark minus this replica's log end, at the last fetch.");
    for (const e of this.lag.values()) w.sample('kafka_server_fetcherlagmetrics_consumerlag', e.lag, { topic: e.topic, partition: e.partition });
  }
}
