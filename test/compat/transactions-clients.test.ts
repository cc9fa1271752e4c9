/**
 * Transactions with librdkafka (Debian's confluent-kafka-python with librdkafka 2.0.2, and 2.16
 * from PyPI when test/.venv has it) and the Java clients 4.4: init/begin/commit/abort,
 * read_committed and read_uncommitted consumers, consume-transform-produce with
 * send_offsets_to_transaction, fencing by a second producer with the same transactional.id; the
 * Java KafkaProducer committing and aborting, read by the Java consumer in both isolation levels,
 * kafka-transactions listing the ids and aborting a hanging transaction, kafka-dump-log decoding
 * our __transaction_state and markers; and Kafka Streams with processing.guarantee=exactly_once_v2
 * (a transactional producer per thread, offsets committed in the transaction, read_committed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { python, run } from '../helpers/clients.js';
import { VENV_PYTHON, pythonModuleMissing } from './clients/scenario.js';
import { ensureJavaBuilt, runJava, runJavaOk, runKafkaTool } from '../helpers/java.js';
import { join } from 'node:path';
import { offsetsPartitionFor } from '../../src/groups/offsets-partition.js';
import { RawClient } from '../helpers/raw-client.js';
import { buildBatchSync } from '../../protocol/records/builder.js';

let broker: TestBroker;
let b: string;

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  b = broker.bootstrap;
});
afterAll(async () => {
  await broker?.cleanup();
});

async function createTopic(topic: string, partitions: number): Promise<void> {
  await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', topic, '--partitions', String(partitions)]);
}

describe('confluent-kafka-python (librdkafka 2.0.2)', () => {
  beforeAll(async () => {
    await ensureJavaBuilt();
  }, 300_000);

  it('commits and aborts; read_committed sees the committed records only; send_offsets_to_transaction commits the group offsets', async () => {
    await createTopic('ck-txn', 2);
    await createTopic('ck-txn-out', 2);
    const r = await python<any>('txn_ck.py', { bootstrap: b, topic: 'ck-txn', scenario: 'basic', commit: 50, abort: 30, partitions: 2 }, 120_000);
    expect(r.readCommitted.length).toBe(100);
    expect(r.readCommitted.filter((v: string) => v.startsWith('aborted'))).toEqual([]);
    expect(r.readUncommitted.length).toBe(130);
    expect(r.copied).toBe(100);
    // Offsets committed through the transactions: past every record of the input (markers included).
    const total = Object.values(r.committedOffsets as Record<string, number>).reduce((n, o) => n + o, 0);
    expect(total).toBeGreaterThanOrEqual(130);
    const out = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'ck-txn-out', '--assign', 'ck-txn-out:0,ck-txn-out:1', '--from-beginning', '--isolation', 'read_committed', '--until-end', 'true', '--idle-ms', '2000', '--timeout-ms', '30000']);
    expect(out.count).toBe(100);
  }, 180_000);

  it('a second producer with the same transactional.id fences the first', async () => {
    await createTopic('ck-fence', 1);
    const r = await python<any>('txn_ck.py', { bootstrap: b, topic: 'ck-fence', scenario: 'fence' }, 120_000);
    expect(r.zombieCommit).not.toBe('succeeded');
    expect(r.zombieCommit.name).toMatch(/FENCED|PRODUCER_EPOCH/);
    expect(r.readCommitted).toEqual(['winner-0', 'winner-1', 'winner-2']);
  }, 180_000);
});

const ckNew = pythonModuleMissing('confluent_kafka');
describe.skipIf(ckNew !== null)(`confluent-kafka-python from PyPI (librdkafka 2.16)${ckNew ? ` (skipped: ${ckNew})` : ''}`, () => {
  const py = async (args: Record<string, unknown>): Promise<any> => {
    const r = await run(VENV_PYTHON, [join(import.meta.dirname, 'py', 'txn_ck.py'), JSON.stringify(args)], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`txn_ck.py exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };

  it('commits, aborts, sends offsets to transactions and is fenced, as with 2.0.2', async () => {
    await createTopic('ck16-txn', 2);
    await createTopic('ck16-txn-out', 2);
    const r = await py({ bootstrap: b, topic: 'ck16-txn', scenario: 'basic', commit: 50, abort: 30, partitions: 2, idPrefix: 'ck16' });
    expect(r.librdkafka).toMatch(/^2\.(1\d|[2-9]\d)/);
    expect(r.readCommitted.length).toBe(100);
    expect(r.readCommitted.filter((v: string) => v.startsWith('aborted'))).toEqual([]);
    expect(r.readUncommitted.length).toBe(130);
    expect(r.copied).toBe(100);
    await createTopic('ck16-fence', 1);
    const f = await py({ bootstrap: b, topic: 'ck16-fence', scenario: 'fence', idPrefix: 'ck16' });
    expect(f.zombieCommit).not.toBe('succeeded');
    expect(f.readCommitted).toEqual(['winner-0', 'winner-1', 'winner-2']);
  }, 240_000);
});

describe('Java clients 4.4', () => {
  beforeAll(async () => {
    await ensureJavaBuilt();
  }, 300_000);

  it('a transactional KafkaProducer commits and aborts; the consumer reads per isolation level; kafka-transactions lists the ids', async () => {
    await createTopic('java-txn', 3);
    const committed = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-txn', '--count', '500', '--key-pattern', 'k%d', '--value-pattern', 'c-%d', '--transactional-id', 'java-txn-1']);
    expect(committed.acked).toBe(500);
    const aborted = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-txn', '--count', '300', '--key-pattern', 'k%d', '--value-pattern', 'a-%d', '--transactional-id', 'java-txn-2', '--abort', 'true']);
    expect(aborted.acked).toBe(300);
    const again = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'java-txn', '--count', '200', '--key-pattern', 'k%d', '--value-pattern', 'c2-%d', '--transactional-id', 'java-txn-1']);
    expect(again.acked).toBe(200);
    const assign = ['--assign', 'java-txn:0,java-txn:1,java-txn:2', '--from-beginning', '--until-end', 'true', '--idle-ms', '2000', '--timeout-ms', '30000'];
    const rc = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'java-txn', ...assign, '--isolation', 'read_committed']);
    expect(rc.count).toBe(700);
    expect(rc.valueChecksum).toBe((committed.valueChecksum + again.valueChecksum) % 2 ** 32);
    const ru = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'java-txn', ...assign, '--isolation', 'read_uncommitted']);
    expect(ru.count).toBe(1000);

    const list = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/java-txn-1\s+1\s+\d+\s+CompleteCommit/);
    expect(list.stdout).toMatch(/java-txn-2\s+1\s+\d+\s+CompleteAbort/);
    const described = await runJavaOk('Admin', ['describe-transactions', '--bootstrap', b, '--id', 'java-txn-1']);
    expect(described.transactions['java-txn-1']).toMatchObject({ state: 'CompleteCommit', topicPartitions: [] });
  }, 180_000);

  it("Kafka's kafka-dump-log reads our __transaction_state records and transaction markers", async () => {
    // After the previous test: java-txn-1 committed twice, java-txn-2 aborted.
    const partition = offsetsPartitionFor('java-txn-1', 50);
    const txnLog = join(broker.dataDir, `__transaction_state-${partition}`, '00000000000000000000.log');
    const decoded = await runJava('org.apache.kafka.tools.DumpLogSegments', ['--transaction-log-decoder', '--files', txnLog]);
    expect(decoded.code).toBe(0);
    expect(decoded.stdout).not.toMatch(/isvalid: false/);
    expect(decoded.stdout).toContain('"transactionalId":"java-txn-1"');
    // Kafka's decoder names the states it reads: every step of the two committed transactions.
    for (const status of ['Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit']) expect(decoded.stdout).toContain(`"transactionStatus":"${status}"`);
    expect(decoded.stdout).toMatch(/"producerEpoch":1,"transactionTimeoutMs":60000,"transactionStatus":"PrepareCommit","transactionPartitions":\[\{"topic":"java-txn","partitionIds":\[0,1,2\]\}\]/);
    const data = await runJava('org.apache.kafka.tools.DumpLogSegments', ['--print-data-log', '--files', join(broker.dataDir, 'java-txn-0', '00000000000000000000.log')]);
    expect(data.code).toBe(0);
    expect(data.stdout).toMatch(/isTransactional: true .*isControl: true/);
    expect(data.stdout).toMatch(/endTxnMarker: COMMIT coordinatorEpoch: 0/);
    expect(data.stdout).toMatch(/endTxnMarker: ABORT coordinatorEpoch: 0/);
  }, 60_000);

  it('kafka-transactions find-hanging and abort end a transaction left open in a partition (WriteTxnMarkers)', async () => {
    await createTopic('hanging', 1);
    const c = await RawClient.connect(broker.host, broker.port);
    let producerId: number;
    try {
      const init = await c.request(22, 4, { transactionalId: 'hanging-txn', transactionTimeoutMs: 900000, producerId: -1, producerEpoch: -1 });
      producerId = init.producerId;
      const added = await c.request(24, 3, { transactionalId: 'hanging-txn', producerId, producerEpoch: init.producerEpoch, topics: [{ name: 'hanging', partitions: [0] }] });
      expect(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(0);
      const b0 = buildBatchSync([{ value: 'stuck-0' }, { value: 'stuck-1' }], { producerId, producerEpoch: init.producerEpoch, baseSequence: 0, transactional: true });
      const produced = await c.request(0, 9, { transactionalId: 'hanging-txn', acks: -1, timeoutMs: 5000, topicData: [{ name: 'hanging', partitionData: [{ index: 0, records: b0 }] }] });
      expect(produced.responses[0].partitionResponses[0].errorCode).toBe(0);
    } finally {
      c.close();
    }
    const lso = async () => JSON.stringify(await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', 'hanging', '--spec', 'latest', '--isolation', 'read_committed']));
    expect(await lso()).toContain('"hanging-0":{"offset":0');
    const producers = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'describe-producers', '--topic', 'hanging', '--partition', '0']);
    expect(producers.stdout).toMatch(new RegExp(`${producerId}\\s+0\\s+-1\\s+1\\s+\\d+\\s+0`));
    const abort = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'abort', '--topic', 'hanging', '--partition', '0', '--start-offset', '0']);
    expect(abort.code, abort.stderr).toBe(0);
    expect(await lso()).toContain('"hanging-0":{"offset":3');
    const read = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'hanging', '--assign', 'hanging:0', '--from-beginning', '--isolation', 'read_committed', '--until-end', 'true', '--idle-ms', '1000', '--timeout-ms', '4000']);
    expect(read.count).toBe(0);
  }, 120_000);

  it('Kafka Streams with exactly_once_v2 processes every record exactly once', async () => {
    await createTopic('eos-in', 2);
    await createTopic('eos-out', 2);
    const produced = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'eos-in', '--count', '300', '--key-pattern', 'k%d', '--value-pattern', 'w%d']);
    expect(produced.acked).toBe(300);
    const app = await runJavaOk('StreamsPipe', ['--bootstrap', b, '--application-id', 'eos-app', '--input', 'eos-in', '--output', 'eos-out', '--op', 'upper', '--exactly-once', 'true', '--max', '300', '--timeout-ms', '90000'], { timeoutMs: 150_000 });
    expect(app).toMatchObject({ processed: 300, timedOut: false });
    const out = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'eos-out', '--assign', 'eos-out:0,eos-out:1', '--from-beginning', '--isolation', 'read_committed', '--records', 'true', '--until-end', 'true', '--idle-ms', '2000', '--timeout-ms', '30000']);
    expect(out.count).toBe(300);
    expect(out.records.every((r: unknown[]) => /^W\d+$/.test(String(r[4])))).toBe(true);
    // The application's input offsets were committed through its transactions.
    const offsets = await runJavaOk('Admin', ['list-group-offsets', '--bootstrap', b, '--group', 'eos-app']);
    expect(offsets.offsets['eos-in-0'].offset + offsets.offsets['eos-in-1'].offset).toBe(300);
  }, 240_000);

  it('Kafka Streams exactly_once_v2 with state: a count through a repartition topic and a changelog', async () => {
    await createTopic('eos-words', 2);
    await createTopic('eos-counts', 2);
    // 200 distinct words, re-keyed by word (repartition topic), counted (changelog): each counted once.
    const produced = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'eos-words', '--count', '200', '--key-pattern', 'k%d', '--value-pattern', 'word-%d']);
    expect(produced.acked).toBe(200);
    const app = await runJavaOk('StreamsPipe', ['--bootstrap', b, '--application-id', 'eos-count-app', '--input', 'eos-words', '--output', 'eos-counts', '--op', 'count', '--exactly-once', 'true', '--max', '200', '--timeout-ms', '90000'], { timeoutMs: 150_000 });
    expect(app).toMatchObject({ processed: 200, timedOut: false });
    const out = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'eos-counts', '--assign', 'eos-counts:0,eos-counts:1', '--from-beginning', '--isolation', 'read_committed', '--last-values', 'true', '--until-end', 'true', '--idle-ms', '2000', '--timeout-ms', '30000']);
    expect(out.count).toBe(200);
    const last = out.lastValues as Record<string, string>;
    expect(Object.keys(last).length).toBe(200);
    expect(Object.values(last).every((v) => v === '1')).toBe(true);
    // The changelog and repartition topics were written in the same transactions.
    const list = await runKafkaTool('TransactionsCommand', ['--bootstrap-server', b, 'list']);
    expect(list.stdout).toMatch(/eos-count-app-\S+\s+1\s+\d+\s+(CompleteCommit|CompleteAbort|Empty)/);
  }, 240_000);
});
