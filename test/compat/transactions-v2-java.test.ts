/**
 * The Java clients 4.4 with transaction.version 2 finalized (KIP-890 part 2), as a new Runnel
 * cluster starts, like a new Kafka 4.x one: the transactional KafkaProducer commits and aborts
 * without any AddPartitionsToTxn (its Produce v12+ adds the partitions, the broker's request
 * counters show none) with an epoch bump per transaction (DescribeTransactions), a read_committed
 * consumer sees only the committed records and a read_uncommitted one all of them; a
 * consume-transform-produce through sendOffsetsToTransaction commits the group's offsets without
 * AddOffsetsToTxn (TxnOffsetCommit v5). Then, after `kafka-features downgrade
 * transaction.version=0`, the same producer goes back to the original protocol (AddPartitionsToTxn,
 * no epoch bump) on the same broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, runJavaOk, runKafkaScript } from '../helpers/java.js';

let broker: TestBroker;
let b: string;

beforeAll(async () => {
  await ensureJavaBuilt();
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  b = broker.bootstrap;
}, 300_000);
afterAll(async () => {
  await broker?.cleanup();
});

/** Requests the broker handled, by API name (kafka_network_requestmetrics_requests_total). */
function requests(api: string): number {
  const text = broker.broker.metrics.render().toString();
  const m = new RegExp(`^kafka_network_requestmetrics_requests_total\\{request="${api}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', topic, '--partitions', String(partitions)]);
}

async function epochOf(id: string): Promise<number> {
  const d = await runJavaOk('Admin', ['describe-transactions', '--bootstrap', b, '--id', id]);
  return d.transactions[id].producerEpoch;
}

const consume = (topic: string, isolation: string) =>
  runJavaOk('Consume', ['--bootstrap', b, '--topic', topic, '--assign', `${topic}:0,${topic}:1,${topic}:2`, '--from-beginning', '--isolation', isolation, '--until-end', 'true', '--idle-ms', '2000', '--timeout-ms', '30000']);

describe('Java producer 4.4 with transaction.version=2', () => {
  it('commits and aborts with no AddPartitionsToTxn, an epoch bump per transaction; read_committed sees the commits only', async () => {
    const features = await runKafkaScript('kafka-features.sh', ['--bootstrap-server', b, 'describe']);
    expect(features.stdout).toMatch(/Feature: transaction\.version\s+SupportedMinVersion: 0\s+SupportedMaxVersion: 2\s+FinalizedVersionLevel: 2/);
    await createTopic('java-tv2', 3);
    const adds = requests('AddPartitionsToTxn');
    const c1 = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-tv2', '--count', '400', '--key-pattern', 'k%d', '--value-pattern', 'c-%d', '--transactional-id', 'java-tv2-1']);
    expect(c1.acked).toBe(400);
    const a1 = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-tv2', '--count', '300', '--key-pattern', 'k%d', '--value-pattern', 'a-%d', '--transactional-id', 'java-tv2-2', '--abort', 'true']);
    expect(a1.acked).toBe(300);
    const c2 = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-tv2', '--count', '200', '--key-pattern', 'k%d', '--value-pattern', 'c2-%d', '--transactional-id', 'java-tv2-1']);
    expect(c2.acked).toBe(200);
    // No AddPartitionsToTxn: the partitions were added by the writes.
    expect(requests('AddPartitionsToTxn')).toBe(adds);
    // java-tv2-1: InitProducerId 0, commit → 1, InitProducerId → 2, commit → 3.
    expect(await epochOf('java-tv2-1')).toBe(3);
    expect(await epochOf('java-tv2-2')).toBe(1);
    expect(broker.broker.txn.txns.get('java-tv2-1')?.clientTransactionVersion).toBe(2);

    const rc = await consume('java-tv2', 'read_committed');
    expect(rc.count).toBe(600);
    const ru = await consume('java-tv2', 'read_uncommitted');
    expect(ru.count).toBe(900);
  }, 240_000);

  it('Kafka Streams exactly_once_v2 commits its offsets with TxnOffsetCommit v5, without AddOffsetsToTxn', async () => {
    await createTopic('tv2-eos-in', 2);
    await createTopic('tv2-eos-out', 2);
    const produced = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'tv2-eos-in', '--count', '300', '--key-pattern', 'k%d', '--value-pattern', 'w%d']);
    expect(produced.acked).toBe(300);
    const addOffsets = requests('AddOffsetsToTxn');
    const adds = requests('AddPartitionsToTxn');
    const app = await runJavaOk('StreamsPipe', ['--bootstrap', b, '--application-id', 'tv2-eos-app', '--input', 'tv2-eos-in', '--output', 'tv2-eos-out', '--op', 'upper', '--exactly-once', 'true', '--max', '300', '--timeout-ms', '90000'], { timeoutMs: 150_000 });
    expect(app).toMatchObject({ processed: 300, timedOut: false });
    expect(requests('AddOffsetsToTxn')).toBe(addOffsets);
    expect(requests('AddPartitionsToTxn')).toBe(adds);
    const out = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'tv2-eos-out', '--assign', 'tv2-eos-out:0,tv2-eos-out:1', '--from-beginning', '--isolation', 'read_committed', '--until-end', 'true', '--idle-ms', '2000', '--timeout-ms', '30000']);
    expect(out.count).toBe(300);
    const offsets = await runJavaOk('Admin', ['list-group-offsets', '--bootstrap', b, '--group', 'tv2-eos-app']);
    expect(offsets.offsets['tv2-eos-in-0'].offset + offsets.offsets['tv2-eos-in-1'].offset).toBe(300);
  }, 240_000);

  it('after kafka-features downgrade transaction.version=0 the producer uses the original protocol again', async () => {
    const down = await runKafkaScript('kafka-features.sh', ['--bootstrap-server', b, 'downgrade', '--feature', 'transaction.version=0']);
    expect(down.code, down.stderr + down.stdout).toBe(0);
    await createTopic('java-tv0', 3);
    const adds = requests('AddPartitionsToTxn');
    const c = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-tv0', '--count', '300', '--key-pattern', 'k%d', '--value-pattern', 'c-%d', '--transactional-id', 'java-tv0-1']);
    expect(c.acked).toBe(300);
    expect(requests('AddPartitionsToTxn')).toBeGreaterThan(adds);
    expect(await epochOf('java-tv0-1')).toBe(0);
    const rc = await consume('java-tv0', 'read_committed');
    expect(rc.count).toBe(300);
    const up = await runKafkaScript('kafka-features.sh', ['--bootstrap-server', b, 'upgrade', '--feature', 'transaction.version=2']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
  }, 240_000);
});
