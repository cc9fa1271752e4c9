/**
 * Issue 14 item 13: clients choose topic names and group ids, and each became /metrics series
 * without bound (one per group id ever committed). With runnel.metrics.max.label.values and
 * runnel.metrics.max.partition.series the scrape stays bounded: 5,000 groups made with raw
 * OffsetCommit requests and 150 topics produced to leave the scrape at its caps, a live consumer
 * group keeps its series through the flood, counters fold extra topics into topic="(other)"
 * without losing counts, and what was left out is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader } from '../../protocol/headers.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { parsePrometheusText, value, type Family } from './metrics-text-format.js';

const MAX_LABEL_VALUES = 100;
const MAX_PARTITION_SERIES = 150;
const GROUPS = 5000;
const TOPICS = 150;

let broker: TestBroker;

async function scrape(): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await fetch(`${broker.broker.adminHttp!.url!}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, families: parsePrometheusText(text) };
}

const count = (m: Map<string, Family>, name: string, labels: Record<string, string> = {}): number =>
  m.get(name)?.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).length ?? 0;

/** Commits offset 0 of `topic`-0 for each group, pipelined on one connection (Kafka's simple-consumer commit). */
async function commitForGroups(groupIds: string[], topic: string): Promise<void> {
  const c = await RawClient.connect(broker.host, broker.port);
  const codec = API_CODECS.get(8)!;
  const frames = groupIds.map((groupId, i) =>
    RawClient.encodeRequest(8, 2, codec.newRequest({ groupId, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: '' }] }] }), i + 1),
  );
  c.write(Buffer.concat(frames));
  for (let i = 0; i < frames.length; i++) {
    const frame = await c.readFrame(30_000);
    expect(frame).not.toBeNull();
    const r = new Reader(frame!);
    readResponseHeader(r, false);
    const res = codec.decodeResponse(r, 2) as { topics: Array<{ partitions: Array<{ errorCode: number }> }> };
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
  }
  c.close();
}

beforeAll(async () => {
  broker = await startTestBroker({
    config: {
      'group.initial.rebalance.delay.ms': 0,
      'runnel.metrics.max.label.values': MAX_LABEL_VALUES,
      'runnel.metrics.max.partition.series': MAX_PARTITION_SERIES,
    },
  });
});

afterAll(async () => {
  await broker?.cleanup();
});

describe('/metrics under label values that clients choose', () => {
  it('stays bounded with 5,000 consumer groups, and a live group keeps its series', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'flooded', numPartitions: 1 }] });
    await admin.disconnect();
    // A real consumer group whose id sorts after every flooded one.
    const consumer = kafka.consumer({ groupId: 'zz-live-group', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'flooded', fromBeginning: true });
    let joined!: () => void;
    const isJoined = new Promise<void>((r) => (joined = r));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({ eachMessage: async () => undefined });
    await isJoined;
    try {
      await commitForGroups(Array.from({ length: GROUPS }, (_, i) => `flood-${String(i).padStart(5, '0')}`), 'flooded');
      expect(broker.broker.groups.groups.size).toBeGreaterThanOrEqual(GROUPS + 1);
      const { text, families: m } = await scrape();
      // One series per reported group, and the live group (with members) is among them.
      expect(count(m, 'kafka_consumergroup_members')).toBe(MAX_LABEL_VALUES);
      expect(value(m, 'kafka_consumergroup_members', { consumergroup: 'zz-live-group', state: 'Stable' })).toBe(1);
      expect(value(m, 'runnel_metrics_label_values_omitted', { label: 'consumergroup' })).toBe(broker.broker.groups.groups.size - MAX_LABEL_VALUES);
      for (const name of ['kafka_consumergroup_current_offset', 'kafka_consumergroup_lag', 'kafka_consumergroup_lag_sum']) {
        expect(count(m, name), name).toBeLessThanOrEqual(MAX_PARTITION_SERIES);
      }
      // One partition per flooded group; the live group may not have committed yet.
      expect(count(m, 'kafka_consumergroup_current_offset')).toBeGreaterThanOrEqual(MAX_LABEL_VALUES - 1);
      // Every series naming a group, all families together: bounded by the caps, not by 5,000.
      const groupSeries = [...m.values()].reduce((n, f) => n + f.samples.filter((s) => 'consumergroup' in s.labels).length, 0);
      expect(groupSeries).toBeLessThanOrEqual(MAX_LABEL_VALUES + 3 * MAX_PARTITION_SERIES);
      expect(text.length).toBeLessThan(150_000);
    } finally {
      await consumer.disconnect();
    }
  });

  it('folds the counters of topics beyond the cap into topic="(other)" and caps per-topic and per-partition gauges', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const names = Array.from({ length: TOPICS }, (_, i) => `t-${String(i).padStart(4, '0')}`);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: 2 })) });
    await producer.sendBatch({ topicMessages: names.map((topic) => ({ topic, messages: [{ value: 'x' }, { value: 'y' }] })) });
    const { families: m } = await scrape();
    const topicSeries = m.get('kafka_server_brokertopicmetrics_messagesin_total')!.samples.filter((s) => 'topic' in s.labels);
    expect(topicSeries.length).toBe(MAX_LABEL_VALUES + 1);
    const other = value(m, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: '(other)' })!;
    expect(other).toBeGreaterThan(0);
    // Nothing is lost: the named topics plus "(other)" add up to the total.
    expect(topicSeries.reduce((n, s) => n + s.value, 0)).toBe(value(m, 'kafka_server_brokertopicmetrics_messagesin_total'));
    const allTopics = [...broker.broker.topics.all()].length;
    expect(count(m, 'kafka_topic_partitions')).toBe(MAX_LABEL_VALUES);
    expect(value(m, 'runnel_metrics_label_values_omitted', { label: 'topic' })).toBe(allTopics - MAX_LABEL_VALUES);
    expect(count(m, 'kafka_log_log_size')).toBe(MAX_PARTITION_SERIES);
    expect(value(m, 'runnel_metrics_series_omitted', { metric: 'kafka_log_log_size' })).toBeGreaterThan(0);
    // A deleted topic's counters go, and free a place under the cap.
    const named = topicSeries.map((s) => s.labels.topic!).filter((t) => t.startsWith('t-'));
    await admin.deleteTopics({ topics: [named[0]!] });
    const after = (await scrape()).families;
    expect(value(after, 'kafka_server_brokertopicmetrics_messagesin_total', { topic: named[0]! })).toBeUndefined();
    expect(after.get('kafka_server_brokertopicmetrics_messagesin_total')!.samples.filter((s) => 'topic' in s.labels).length).toBe(MAX_LABEL_VALUES);
    await admin.disconnect();
    await producer.disconnect();
  });
});
