/**
 * Captures records that a real Apache Kafka wrote to its own internal topics, for the round-trip
 * test of the generated data-message codecs (test/unit/protocol/kafka-written.test.ts):
 *
 *   npx tsx scripts/capture-coordinator-records.ts [--out test/unit/protocol/fixtures/kafka-coordinator-records.json]
 *
 * Starts Apache Kafka (scripts/apache-kafka.sh, in its own state dir, 1 partition per internal
 * topic) and runs Kafka's Java clients from the test harness (test/java): a transactional producer
 * that commits and one that aborts, then a dynamic and a static (group.instance.id) consumer that
 * join a classic group and commit. Kafka is stopped with its data kept, and every record of
 * `__consumer_offsets` and `__transaction_state` is read from the segment files and saved as hex
 * (key, value or null for a tombstone), with the offset and the Kafka version. The group records
 * carry the Java consumer's ConsumerProtocol subscription and assignment bytes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BATCH_LOG_OVERHEAD, batch } from '../protocol/records/batch.js';
import { forEachRecordSync } from '../protocol/records/records.js';
import { runJavaOk } from '../test/helpers/java.js';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'test/unit/protocol/fixtures/kafka-coordinator-records.json') } } });

interface CapturedRecord {
  offset: number;
  key: string;
  value: string | null;
}

/** Every record of every data batch in a partition directory's segments, in offset order. */
function readPartition(dir: string): CapturedRecord[] {
  const out: CapturedRecord[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const b = readFileSync(join(dir, f));
    for (let at = 0; at + BATCH_LOG_OVERHEAD <= b.length; ) {
      const size = batch.totalSize(b, at);
      const one = b.subarray(at, at + size);
      const base = batch.baseOffset(one);
      if (!batch.isControl(one)) {
        const err = forEachRecordSync(one, (r) => {
          if (r.key === null) throw new Error(`${f}: a record without a key at ${base + r.offsetDelta}`);
          out.push({ offset: base + r.offsetDelta, key: r.key.toString('hex'), value: r.value === null ? null : r.value.toString('hex') });
        }, { allowOffsetGaps: true });
        if (err !== null) throw new Error(`${dir}/${f} at byte ${at}: ${err}`);
      }
      at += size;
    }
  }
  return out;
}

const state = mkdtempSync(join(tmpdir(), 'runnel-capture-records-'));
const env = { ...process.env, APACHE_KAFKA_HOME: state, APACHE_KAFKA_KEEP: '1', APACHE_KAFKA_OWNER_PID: String(process.pid) };
const kafka = (cmd: string) => spawnSync(join(ROOT, 'scripts/apache-kafka.sh'), [cmd], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

try {
  const started = kafka('start');
  if (started.status !== 0) throw new Error('apache-kafka.sh start failed');
  const bootstrap = started.stdout.trim();
  const version = readFileSync(join(state, 'version'), 'utf8').trim();
  try {
    const common = ['--bootstrap', bootstrap, '--topic', 'orders', '--count', '4', '--key-pattern', 'k-%d'];
    await runJavaOk('Produce', [...common, '--transactional-id', 'tx-commit']);
    await runJavaOk('Produce', [...common, '--transactional-id', 'tx-abort', '--abort']);
    const consume = ['--bootstrap', bootstrap, '--topic', 'orders', '--from-beginning', '--max', '4', '--commit', '--isolation', 'read_committed', '--timeout-ms', '30000'];
    await runJavaOk('Consume', [...consume, '--group', 'g-dynamic']);
    await runJavaOk('Consume', [...consume, '--group', 'g-static', '--prop', 'group.instance.id=static-1']);
  } finally {
    kafka('stop');
  }
  const data = join(state, 'data');
  const fixture = {
    broker: `Apache Kafka ${version}`,
    capturedAt: new Date().toISOString().slice(0, 10),
    how: 'scripts/capture-coordinator-records.ts',
    consumerOffsets: readPartition(join(data, '__consumer_offsets-0')),
    transactionState: readPartition(join(data, '__transaction_state-0')),
  };
  writeFileSync(values.out!, `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`${values.out}: ${fixture.consumerOffsets.length} __consumer_offsets and ${fixture.transactionState.length} __transaction_state records from ${fixture.broker}`);
} finally {
  rmSync(state, { recursive: true, force: true });
}
