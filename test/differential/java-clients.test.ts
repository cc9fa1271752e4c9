/**
 * Differential tests with Apache Kafka's own Java clients (test/java harness): an idempotent
 * producer's offsets per partition, a consumer group's consumption and commits, and what the Java
 * Admin client reports about the group, its committed offsets, the topic's offsets, partitions
 * and configs — the same programs against Runnel and against Apache Kafka.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import { ensureJavaBuilt, javaAvailable, runJavaOk } from '../helpers/java.js';
import { expectSamePhases, normalise, startPair, uniq, type Pair, type Target } from './harness.js';

describe.skipIf(!apacheKafkaAvailable() || !javaAvailable())('differential: Java clients', () => {
  let pair: Pair;
  beforeAll(async () => {
    [pair] = await Promise.all([startPair(), ensureJavaBuilt()]);
  }, 600_000);
  afterAll(async () => {
    await pair?.stop();
  }, 60_000);

  it('produce, consume in a group, and what the Admin client reports', async () => {
    const topic = uniq('java');
    const group = uniq('java-g');
    const obs = await pair.both(async (t: Target) => {
      const b = ['--bootstrap', t.bootstrap];
      const admin = async (op: string, ...args: string[]) => {
        const t0 = Date.now();
        const r = await runJavaOk('Admin', [op, ...b, ...args]);
        if (process.env.RUNNEL_DIFF_TIMING) console.log(t.side, op, Date.now() - t0);
        return r;
      };
      const out: Record<string, unknown> = {};
      out.create = await admin('create-topics', '--topic', topic, '--partitions', '3', '--config', 'retention.ms=86400000');
      const produced = await runJavaOk('Produce', [...b, '--topic', topic, '--count', '60', '--key-pattern', 'k%d', '--linger-ms', '0']);
      out.produce = { sent: produced.sent, acked: produced.acked, errors: produced.errors, partitions: produced.partitions };
      const consumed = await runJavaOk('Consume', [...b, '--topic', topic, '--group', group, '--from-beginning', '--max', '60', '--commit', '--timeout-ms', '30000']);
      out.consume = { count: consumed.count, timedOut: consumed.timedOut, partitions: consumed.partitions, valueChecksum: consumed.valueChecksum === produced.valueChecksum };
      const groups = await admin('describe-groups', '--group', group);
      out.describeGroup = normalise(groups, { mask: ['coordinator'] });
      out.groupOffsets = await admin('list-group-offsets', '--group', group);
      // (max-timestamp is left out: the records' timestamps differ between the two runs.)
      for (const spec of ['earliest', 'latest']) {
        const r = await admin('list-offsets', '--topic', topic, '--spec', spec);
        out[`offsets-${spec}`] = Object.fromEntries(Object.entries(r.partitions as Record<string, any>).map(([k, v]) => [k, { ...v, timestamp: v.timestamp > 0 ? '<ts>' : v.timestamp }]));
      }
      const topics = await admin('describe-topics', '--topic', topic);
      out.describeTopic = normalise(topics, { mask: ['topicId'] });
      out.describeConfigs = await admin('describe-configs', '--topic', topic);
      return normalise(out);
    });
    expectSamePhases('java', obs);
  }, 180_000);
});
