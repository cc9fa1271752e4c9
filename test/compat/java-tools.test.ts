/**
 * Kafka 4.4's command-line tools against Runnel, run as the distribution's bin/*.sh scripts run
 * them (runKafkaScript: the script's main class and heap, WARN logs to stderr, the exact flags
 * users type), with their output checked. The expected texts are what the same commands print
 * against Apache Kafka 4.4 (scripts/reference-kafka.sh), except for topic ids, ports and timings:
 * kafka-topics (create with partitions and --config, list, describe, alter partitions, delete),
 * kafka-console-producer (parse.key, key.separator, acks=all) and kafka-console-consumer
 * (--from-beginning, --group, --max-messages, print.key/offset/partition), kafka-consumer-groups
 * (--list, --describe with LAG, --reset-offsets --to-earliest, --delete), kafka-configs,
 * kafka-get-offsets, kafka-producer-perf-test and kafka-consumer-perf-test; and more of bin/
 * (kafka-delete-records, the verifiable clients, kafka-e2e-latency, kafka-groups), plus the tools
 * for APIs Runnel does not serve, which must fail as the README's compatibility table says.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, runKafkaScript, type JavaResult } from '../helpers/java.js';

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

const tool = (script: string, args: string[], input?: string): Promise<JavaResult> => runKafkaScript(script, ['--bootstrap-server', b, ...args], { input });

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The first line of stdout+stderr that a failed tool printed for people. */
function errorLine(r: JavaResult): string {
  return lines(r.stdout + '\n' + r.stderr).find((l) => l.startsWith('Error'))!;
}

/** The rows of a kafka-consumer-groups table for `group`, split into columns. */
function groupRows(r: JavaResult, group: string): string[][] {
  return lines(r.stdout).filter((l) => l.startsWith(`${group} `)).map((l) => l.trim().split(/\s+/)).sort((x, y) => Number(x[2]) - Number(y[2]));
}

describe('kafka-topics.sh', () => {
  it('creates with partitions and --config, lists, describes, alters partitions and deletes, with Kafka\'s messages', async () => {
    const create = await tool('kafka-topics.sh', ['--create', '--topic', 'cli-orders', '--partitions', '3', '--config', 'retention.ms=3600000', '--config', 'max.message.bytes=200000']);
    expect(create.code).toBe(0);
    expect(create.stdout).toBe('Created topic cli-orders.\n');

    const again = await tool('kafka-topics.sh', ['--create', '--topic', 'cli-orders', '--partitions', '3']);
    expect(again.code).toBe(1);
    expect(errorLine(again)).toBe("Error while executing topic command : Topic 'cli-orders' already exists.");
    const rf = await tool('kafka-topics.sh', ['--create', '--topic', 'cli-rf', '--partitions', '1', '--replication-factor', '2']);
    expect(errorLine(rf)).toBe(
      'Error while executing topic command : Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.',
    );
    const badConfig = await tool('kafka-topics.sh', ['--create', '--topic', 'cli-bad', '--config', 'nosuch=1']);
    expect(errorLine(badConfig)).toBe('Error while executing topic command : Unknown topic config name: nosuch');

    const shrink = await tool('kafka-topics.sh', ['--alter', '--topic', 'cli-orders', '--partitions', '2']);
    expect(shrink.code).toBe(1);
    expect(errorLine(shrink)).toBe('Error while executing topic command : The topic cli-orders currently has 3 partition(s); 2 would not be an increase.');
    const grow = await tool('kafka-topics.sh', ['--alter', '--topic', 'cli-orders', '--partitions', '4']);
    expect(grow.code).toBe(0);

    // (__consumer_offsets does not exist yet: like Kafka, Runnel creates it for the first group.)
    const list = await tool('kafka-topics.sh', ['--list']);
    expect(lines(list.stdout)).toEqual(['cli-orders']);

    // Through DescribeTopicPartitions, as against Kafka 4.4: empty ELR columns, not "N/A".
    const described = await tool('kafka-topics.sh', ['--describe', '--topic', 'cli-orders']);
    const [head, ...parts] = lines(described.stdout);
    expect(head).toMatch(/^Topic: cli-orders\tTopicId: [\w-]{22}\tPartitionCount: 4\tReplicationFactor: 1\tConfigs: retention.ms=3600000,max.message.bytes=200000$/);
    expect(parts).toEqual([0, 1, 2, 3].map((p) => `\tTopic: cli-orders\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: `));

    const del = await tool('kafka-topics.sh', ['--delete', '--topic', 'cli-orders']);
    expect(del.code).toBe(0);
    expect(del.stdout).toBe('');
    expect(lines((await tool('kafka-topics.sh', ['--list', '--exclude-internal'])).stdout)).toEqual([]);
    const gone = await tool('kafka-topics.sh', ['--describe', '--topic', 'cli-orders']);
    expect(gone.code).toBe(1);
    expect(errorLine(gone)).toBe("Error while executing topic command : Topic 'cli-orders' does not exist as expected");
  }, 120_000);
});

describe('kafka-console-producer.sh, kafka-console-consumer.sh and kafka-consumer-groups.sh', () => {
  it('keyed records in, printed with partition/offset/key, the group\'s lag, offsets reset to earliest, the group deleted', async () => {
    await tool('kafka-topics.sh', ['--create', '--topic', 'cli-keys', '--partitions', '4']);
    // The flags as users type them (deprecated spellings still work and warn, as in Kafka 4.4).
    const prod = await tool(
      'kafka-console-producer.sh',
      ['--topic', 'cli-keys', '--property', 'parse.key=true', '--property', 'key.separator=:', '--producer-property', 'acks=all'],
      'k1:v1\nk2:v2\nk3:v3\nk1:v4\nk4:v5\n',
    );
    expect(prod.code).toBe(0);
    expect(lines(prod.stdout)).toEqual([
      'Warning: --producer-property is deprecated and will be removed in a future version. Use --command-property instead.',
      'Warning: --property is deprecated and will be removed in a future version. Use --reader-property instead.',
    ]);

    const cons = await tool('kafka-console-consumer.sh', [
      '--topic', 'cli-keys', '--from-beginning', '--group', 'cli-group', '--max-messages', '5',
      '--property', 'print.key=true', '--property', 'print.offset=true', '--property', 'print.partition=true',
    ]);
    expect(cons.code).toBe(0);
    expect(lines(cons.stdout + cons.stderr)).toContain('Option --property is deprecated and will be removed in a future version. Use --formatter-property instead.');
    // Keys land where Java's murmur2 partitioner puts them (Kafka's output, line for line).
    expect(lines(cons.stdout).filter((l) => !l.startsWith('Option')).sort()).toEqual([
      'Partition:0\tOffset:0\tk3\tv3',
      'Partition:0\tOffset:1\tk4\tv5',
      'Partition:1\tOffset:0\tk1\tv1',
      'Partition:1\tOffset:1\tk2\tv2',
      'Partition:1\tOffset:2\tk1\tv4',
    ]);
    expect(lines(cons.stderr)).toContain('Processed a total of 5 messages');

    expect(lines((await tool('kafka-consumer-groups.sh', ['--list'])).stdout)).toEqual(['cli-group']);

    // Two more records (the 4.x spellings of the flags this time): LAG 1 on partitions 0 and 1.
    const more = await tool('kafka-console-producer.sh', ['--topic', 'cli-keys', '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:', '--command-property', 'acks=all'], 'k5:v6\nk6:v7\n');
    expect(more.code).toBe(0);
    const lag = await tool('kafka-consumer-groups.sh', ['--describe', '--group', 'cli-group']);
    expect(lag.code).toBe(0);
    expect(lines(lag.stdout)[0]!.split(/\s+/)).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
    expect(groupRows(lag, 'cli-group')).toEqual([
      ['cli-group', 'cli-keys', '0', '2', '3', '1', '-', '-', '-'],
      ['cli-group', 'cli-keys', '1', '3', '4', '1', '-', '-', '-'],
      ['cli-group', 'cli-keys', '2', '0', '0', '0', '-', '-', '-'],
      ['cli-group', 'cli-keys', '3', '0', '0', '0', '-', '-', '-'],
    ]);
    expect(lag.stderr).toContain("Consumer group 'cli-group' has no active members.");

    const dry = await tool('kafka-consumer-groups.sh', ['--reset-offsets', '--to-earliest', '--group', 'cli-group', '--topic', 'cli-keys']);
    expect(dry.stdout + dry.stderr).toContain('WARN: No action will be performed as the --execute option is missing.');
    const reset = await tool('kafka-consumer-groups.sh', ['--reset-offsets', '--to-earliest', '--group', 'cli-group', '--topic', 'cli-keys', '--execute']);
    expect(reset.code).toBe(0);
    expect(lines(reset.stdout)[0]!.split(/\s+/)).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']);
    expect(groupRows(reset, 'cli-group')).toEqual([0, 1, 2, 3].map((p) => ['cli-group', 'cli-keys', String(p), '0']));
    const afterReset = await tool('kafka-consumer-groups.sh', ['--describe', '--group', 'cli-group']);
    expect(groupRows(afterReset, 'cli-group').map((r) => r.slice(2, 6))).toEqual([
      ['0', '0', '3', '3'],
      ['1', '0', '4', '4'],
      ['2', '0', '0', '0'],
      ['3', '0', '0', '0'],
    ]);

    // The group re-reads everything from the reset offsets (no --from-beginning), and commits.
    const reread = await tool('kafka-console-consumer.sh', ['--topic', 'cli-keys', '--group', 'cli-group', '--max-messages', '7', '--formatter-property', 'print.key=true', '--formatter-property', 'print.partition=true']);
    expect(lines(reread.stdout).sort()).toEqual(['Partition:0\tk3\tv3', 'Partition:0\tk4\tv5', 'Partition:0\tk5\tv6', 'Partition:1\tk1\tv1', 'Partition:1\tk1\tv4', 'Partition:1\tk2\tv2', 'Partition:1\tk6\tv7']);
    const caughtUp = await tool('kafka-consumer-groups.sh', ['--describe', '--group', 'cli-group']);
    expect(groupRows(caughtUp, 'cli-group').map((r) => r[5])).toEqual(['0', '0', '0', '0']);

    const del = await tool('kafka-consumer-groups.sh', ['--delete', '--group', 'cli-group']);
    expect(del.stdout.trim()).toBe("Deletion of requested consumer groups ('cli-group') was successful.");
    const again = await tool('kafka-consumer-groups.sh', ['--delete', '--group', 'cli-group']);
    expect(lines(again.stdout)).toEqual([
      'Error: Deletion of some consumer groups failed:',
      "* Group 'cli-group' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.",
    ]);
    expect(lines((await tool('kafka-consumer-groups.sh', ['--list'])).stdout)).toEqual([]);
  }, 120_000);
});

describe('kafka-configs.sh, kafka-get-offsets.sh and kafka-delete-records.sh', () => {
  it('describes and alters topic configs (synonyms as Kafka lists them), gets offsets by time, deletes records', async () => {
    await tool('kafka-topics.sh', ['--create', '--topic', 'cli-cfg', '--partitions', '4', '--config', 'retention.ms=3600000', '--config', 'max.message.bytes=200000']);
    const describe1 = await tool('kafka-configs.sh', ['--describe', '--entity-type', 'topics', '--entity-name', 'cli-cfg']);
    expect(lines(describe1.stdout)).toEqual([
      'Dynamic configs for topic cli-cfg are:',
      '  max.message.bytes=200000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=200000, DEFAULT_CONFIG:message.max.bytes=1048588}',
      '  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000}',
    ]);
    const alter = await tool('kafka-configs.sh', ['--alter', '--entity-type', 'topics', '--entity-name', 'cli-cfg', '--add-config', 'cleanup.policy=[compact,delete],retention.ms=7200000']);
    expect(alter.stdout.trim()).toBe('Completed updating config for topic cli-cfg.');
    const remove = await tool('kafka-configs.sh', ['--alter', '--entity-type', 'topics', '--entity-name', 'cli-cfg', '--delete-config', 'max.message.bytes']);
    expect(remove.stdout.trim()).toBe('Completed updating config for topic cli-cfg.');
    const unknown = await tool('kafka-configs.sh', ['--alter', '--entity-type', 'topics', '--entity-name', 'cli-cfg', '--add-config', 'nosuch=1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout + unknown.stderr).toContain('org.apache.kafka.common.errors.InvalidConfigurationException: Unknown topic config name: nosuch');
    const describe2 = await tool('kafka-configs.sh', ['--describe', '--entity-type', 'topics', '--entity-name', 'cli-cfg']);
    expect(lines(describe2.stdout)).toEqual([
      'Dynamic configs for topic cli-cfg are:',
      '  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}',
      '  retention.ms=7200000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=7200000}',
    ]);
    const all = await tool('kafka-configs.sh', ['--describe', '--all', '--entity-type', 'topics', '--entity-name', 'cli-cfg']);
    expect(lines(all.stdout)).toContain('  segment.ms=604800000 sensitive=false synonyms={}');
    expect(lines(all.stdout)).toContain('  max.message.bytes=1048588 sensitive=false synonyms={DEFAULT_CONFIG:message.max.bytes=1048588}');

    await tool('kafka-console-producer.sh', ['--topic', 'cli-cfg', '--property', 'parse.key=true', '--property', 'key.separator=:'], 'k1:v1\nk2:v2\nk3:v3\nk1:v4\nk4:v5\n');
    expect(lines((await tool('kafka-get-offsets.sh', ['--topic', 'cli-cfg'])).stdout)).toEqual(['cli-cfg:0:2', 'cli-cfg:1:3', 'cli-cfg:2:0', 'cli-cfg:3:0']);
    expect(lines((await tool('kafka-get-offsets.sh', ['--topic', 'cli-cfg', '--time', '-2'])).stdout)).toEqual(['cli-cfg:0:0', 'cli-cfg:1:0', 'cli-cfg:2:0', 'cli-cfg:3:0']);
    expect(lines((await tool('kafka-get-offsets.sh', ['--topic', 'cli-cfg', '--partitions', '0,2', '--time', '-1'])).stdout)).toEqual(['cli-cfg:0:2', 'cli-cfg:2:0']);
    expect(lines((await tool('kafka-get-offsets.sh', ['--topic-partitions', 'cli-cfg:1-3'])).stdout)).toEqual(['cli-cfg:1:3', 'cli-cfg:2:0']);
    // -3 is the max timestamp: per partition the first offset holding the newest timestamp (the
    // records' own timestamps, read back with print.timestamp); partitions without records are
    // left out, as Kafka does.
    const stamped = await tool('kafka-console-consumer.sh', ['--topic', 'cli-cfg', '--from-beginning', '--max-messages', '5', '--formatter-property', 'print.timestamp=true', '--formatter-property', 'print.partition=true', '--formatter-property', 'print.offset=true']);
    const newest = new Map<number, { ts: number; offset: number }>();
    for (const l of lines(stamped.stdout)) {
      const m = /^CreateTime:(\d+)\tPartition:(\d+)\tOffset:(\d+)\t/.exec(l)!;
      const [ts, p, offset] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const cur = newest.get(p);
      if (!cur || ts > cur.ts || (ts === cur.ts && offset < cur.offset)) newest.set(p, { ts, offset });
    }
    expect(newest.size).toBe(2);
    expect(lines((await tool('kafka-get-offsets.sh', ['--topic', 'cli-cfg', '--time', '-3'])).stdout)).toEqual([...newest].sort((x, y) => x[0] - y[0]).map(([p, n]) => `cli-cfg:${p}:${n.offset}`));

    // kafka-delete-records moves partition 1's log start; kafka-get-offsets --time -2 shows it.
    const dir = tempDir('delete-records');
    const offsetsFile = join(dir, 'offsets.json');
    writeFileSync(offsetsFile, JSON.stringify({ partitions: [{ topic: 'cli-cfg', partition: 1, offset: 2 }], version: 1 }));
    const deleted = await tool('kafka-delete-records.sh', ['--offset-json-file', offsetsFile]);
    expect(lines(deleted.stdout)).toEqual(['Executing records delete operation', 'Records delete operation completed:', 'partition: cli-cfg-1\tlow_watermark: 2']);
    rmSync(dir, { recursive: true, force: true });
    expect(lines((await tool('kafka-get-offsets.sh', ['--topic', 'cli-cfg', '--time', '-2'])).stdout)).toEqual(['cli-cfg:0:0', 'cli-cfg:1:2', 'cli-cfg:2:0', 'cli-cfg:3:0']);
  }, 120_000);
});

describe('kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh', () => {
  it('produce 20,000 records with acks=all and consume them back, printing their statistics', async () => {
    await tool('kafka-topics.sh', ['--create', '--topic', 'cli-perf', '--partitions', '2']);
    const prod = await runKafkaScript('kafka-producer-perf-test.sh', [
      '--topic', 'cli-perf', '--num-records', '20000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${b}`, 'acks=all',
    ]);
    expect(prod.code, prod.stderr).toBe(0);
    const summary = lines(prod.stdout).at(-1)!;
    expect(summary).toMatch(/^20000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/);
    const offsets = lines((await tool('kafka-get-offsets.sh', ['--topic', 'cli-perf'])).stdout).map((l) => Number(l.split(':')[2]));
    expect(offsets.reduce((a, c) => a + c, 0)).toBe(20000);

    const cons = await tool('kafka-consumer-perf-test.sh', ['--topic', 'cli-perf', '--messages', '20000', '--timeout', '30000']);
    expect(cons.code, cons.stderr).toBe(0);
    expect(lines(cons.stdout)[0]).toBe('Warning: --messages is deprecated. Use --num-records instead.');
    const [header, row] = lines(cons.stdout).filter((l) => !l.startsWith('Warning'));
    expect(header).toBe('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    const fields = row!.split(', ');
    expect(fields).toHaveLength(10);
    expect(fields[2]).toBe('1.9073'); // 20,000 x 100 bytes in MiB
    expect(fields[4]).toBe('20000');
  }, 120_000);
});

describe('more of bin/: verifiable clients, end-to-end latency, kafka-groups, and the tools for APIs Runnel does not serve', () => {
  it('kafka-verifiable-producer/consumer, kafka-e2e-latency, kafka-groups, kafka-features and kafka-client-metrics --list work; kafka-metadata-quorum reports what is missing', async () => {
    const vp = await runKafkaScript('kafka-verifiable-producer.sh', ['--bootstrap-server', b, '--topic', 'cli-verify', '--max-messages', '50', '--acks', '-1']);
    expect(vp.code, vp.stderr).toBe(0);
    const sent = lines(vp.stdout).map((l) => JSON.parse(l) as { name: string; offset?: number });
    expect(sent.filter((e) => e.name === 'producer_send_success')).toHaveLength(50);
    expect(sent.filter((e) => e.name === 'producer_send_success').map((e) => e.offset)).toEqual([...Array(50).keys()]);
    expect(sent.at(-1)).toMatchObject({ name: 'tool_data', sent: 50, acked: 50 });

    const vc = await runKafkaScript('kafka-verifiable-consumer.sh', ['--bootstrap-server', b, '--topic', 'cli-verify', '--group-id', 'cli-verify-group', '--max-messages', '50']);
    expect(vc.code, vc.stderr).toBe(0);
    const events = lines(vc.stdout).map((l) => JSON.parse(l) as { name: string; count?: number; success?: boolean; offsets?: Array<{ offset: number }> });
    expect(events[0]!.name).toBe('startup_complete');
    expect(events.some((e) => e.name === 'partitions_assigned')).toBe(true);
    expect(events.filter((e) => e.name === 'records_consumed').reduce((n, e) => n + e.count!, 0)).toBe(50);
    const commits = events.filter((e) => e.name === 'offsets_committed');
    expect(commits.every((c) => c.success)).toBe(true);
    expect(commits.at(-1)!.offsets).toEqual([{ topic: 'cli-verify', partition: 0, offset: 50 }]);

    const e2e = await runKafkaScript('kafka-e2e-latency.sh', ['--bootstrap-server', b, '--topic', 'cli-e2e', '--num-records', '200', '--producer-acks', 'all', '--record-size', '100']);
    expect(e2e.code, e2e.stderr).toBe(0);
    expect(e2e.stdout).toMatch(/^Avg latency: [\d.]+ ms$/m);
    expect(e2e.stdout).toMatch(/^Percentiles: 50th = \d+, 99th = \d+, 99\.9th = \d+$/m);

    const groups = await tool('kafka-groups.sh', ['--list']);
    expect(lines(groups.stdout)[0]!.trim().split(/\s+/)).toEqual(['GROUP', 'TYPE', 'PROTOCOL']);
    expect(lines(groups.stdout).map((l) => l.trim().split(/\s+/))).toContainEqual(['cli-verify-group', 'Classic', 'consumer']);

    // Feature levels are served (test/compat/features.test.ts has upgrade and downgrade); KRaft's
    // DescribeQuorum is not answered. ListConfigResources is (no client-metrics resources).
    const features = await tool('kafka-features.sh', ['describe']);
    expect(features.code).toBe(0);
    expect(features.stdout).toMatch(/^Feature: metadata\.version\s+SupportedMinVersion: 4\.4-IV2\s+SupportedMaxVersion: 4\.4-IV2\s+FinalizedVersionLevel: 4\.4-IV2\s+Epoch: 0$/m);
    const quorum = await tool('kafka-metadata-quorum.sh', ['describe', '--status']);
    expect(quorum.code).toBe(1);
    expect(quorum.stdout + quorum.stderr).toContain('UnsupportedVersionException: The node does not support DESCRIBE_QUORUM');
    const metrics = await tool('kafka-client-metrics.sh', ['--list']);
    expect(metrics.code, metrics.stderr).toBe(0);
    expect(lines(metrics.stdout)).toEqual([]);
  }, 120_000);
});
