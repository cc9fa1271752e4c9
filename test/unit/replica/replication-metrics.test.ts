/**
 * Replication metrics (src/replica/replication-metrics.ts) with Kafka's names: ISR shrink and
 * expand counters, under-replicated and under-min-ISR partitions among those led here, and the
 * follower lag per partition (capped, dropped when the partition is no longer followed).
 */
import { describe, expect, it } from 'vitest';
import { PrometheusText } from '../../../src/admin-http/prometheus-text.js';
import { ReplicationMetrics } from '../../../src/replica/replication-metrics.js';

describe('replication metrics', () => {
  it('renders the counters, the gauges over the led partitions and the follower lag', () => {
    const m = new ReplicationMetrics(2);
    m.isrShrinks = 3;
    m.isrExpands = 2;
    m.fetcherLag('a', 0, 5);
    m.fetcherLag('a', 1, 7);
    m.fetcherLag('a', 2, 9); // over the cap of 2 series: left out
    m.fetcherLag('a', 0, 4);
    m.fetcherRemoved('a', 1);
    const parts = [
      { topic: 'x', partition: 0, isLeader: true, replicas: [1, 2, 3], isr: [1, 2] },
      { topic: 'x', partition: 1, isLeader: true, replicas: [1, 2, 3], isr: [1] },
      { topic: 'x', partition: 2, isLeader: false, replicas: [1, 2, 3], isr: [2] },
      { topic: 'y', partition: 0, isLeader: true, replicas: [1, 2, 3], isr: [1, 2, 3] },
    ];
    const w = new PrometheusText();
    m.render(w, parts, (t) => (t === 'x' ? 2 : 1));
    const text = w.toString();
    expect(text).toContain('kafka_server_replicamanager_isrshrinks_total 3');
    expect(text).toContain('kafka_server_replicamanager_isrexpands_total 2');
    expect(text).toContain('kafka_server_replicamanager_underreplicatedpartitions 2');
    expect(text).toContain('kafka_server_replicamanager_underminisrpartitioncount 1');
    expect(text).toMatch(/kafka_server_fetcherlagmetrics_consumerlag\{topic="a",partition="0"\} 4/);
    expect(text).not.toContain('partition="1"} 7');
    expect(text).not.toContain('partition="2"} 9');
  });
});
