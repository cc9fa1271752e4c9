/**
 * Issue 7 acceptance, the `runnel` CLI against a running broker: every command's table and JSON
 * output, Kafka's flag spellings, exit codes and messages. Most commands run in-process through
 * runCli() (the same code the binary runs); the binary itself (dist/runnel.mjs, built by
 * `npm test`) runs the 100,000-record round trip through pipes, and the error/exit-code checks.
 * Groups are consumed by kafkajs: `group describe` must show its LAG, and `reset-offsets
 * --execute` must move where kafkajs resumes.
 */
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer as KafkaJsConsumer } from 'kafkajs';
import { runCli } from '../../src/cli/main.js';
import { partitionForKey } from '../../src/client/partitioner.js';
import { REPO_ROOT, startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';

let broker: TestBroker;
let workDir: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `runnel <args>` in-process against the test broker. */
async function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const collect = () => {
    const s = new PassThrough();
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    return { s, text: () => Buffer.concat(chunks).toString() };
  };
  const out = collect();
  const err = collect();
  const code = await runCli(args, {
    stdout: out.s,
    stderr: err.s,
    stdin: Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]),
    env: { RUNNEL_BOOTSTRAP_SERVER: broker.bootstrap, ...opts.env },
    stderrIsTTY: false,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

async function ok(args: string[], opts: { input?: string } = {}): Promise<string> {
  const r = await cli(args, opts);
  if (r.code !== 0) throw new Error(`runnel ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function json<T = any>(args: string[], opts: { input?: string } = {}): Promise<T> {
  return JSON.parse(await ok([...args, '--format', 'json'], opts)) as T;
}

/** The binary, as a user runs it. */
function bin(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}) {
  return run(process.execPath, [join(REPO_ROOT, 'dist', 'runnel.mjs'), ...args], { ...opts, env: { RUNNEL_BOOTSTRAP_SERVER: broker.bootstrap } });
}

/** Header row and data rows of a table, split on runs of 2+ spaces. */
function table(text: string): { header: string[]; rows: string[][] } {
  const lines = text.trimEnd().split('\n');
  return { header: lines[0]!.split(/\s{2,}/), rows: lines.slice(1).map((l) => l.split(/\s{2,}/)) };
}

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 2 } });
  workDir = tempDir('cli');
});

afterAll(async () => {
  await broker?.cleanup();
  if (workDir) removeDir(workDir);
});

describe('runnel topic', () => {
  it('creates topics (and says so), refuses duplicates unless --if-not-exists', async () => {
    expect(await ok(['topic', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=86400000'])).toBe('Created topic orders.\n');
    expect(await json(['topic', 'create', 'payments', '--partitions', '2', '--replication-factor', '1'])).toEqual([{ topic: 'payments', created: true, error: null }]);
    const dup = await cli(['topic', 'create', 'orders']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^runnel: cannot create topic orders: TOPIC_ALREADY_EXISTS/);
    expect(await ok(['topic', 'create', 'orders', '--if-not-exists'])).toBe('Topic orders already exists.\n');
    // kafka-topics.sh spelling
    expect(await ok(['topic', '--create', '--topic', 'legacy', '--partitions', '1', '--bootstrap-server', broker.bootstrap])).toBe('Created topic legacy.\n');
  });

  it('lists topics as a table and as JSON', async () => {
    const t = table(await ok(['topic', 'list', '--exclude-internal']));
    expect(t.header).toEqual(['TOPIC', 'PARTITIONS', 'REPLICATION-FACTOR', 'INTERNAL']);
    expect(t.rows).toContainEqual(['orders', '3', '1', 'no']);
    const list = await json<Array<{ topic: string; partitions: number; internal: boolean }>>(['topic', 'list']);
    expect(list.find((x) => x.topic === 'payments')).toMatchObject({ partitions: 2, replicationFactor: 1, internal: false });
  });

  it('describes partitions with leaders, offsets and config overrides', async () => {
    const out = await ok(['topic', 'describe', 'orders']);
    expect(out).toMatch(/^Topic: orders\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention\.ms=86400000\n/);
    const t = table(out.split('\n').slice(1).join('\n'));
    expect(t.header).toEqual(['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOG-START-OFFSET', 'LOG-END-OFFSET']);
    expect(t.rows).toEqual([
      ['0', '1', '1', '1', '0', '0'],
      ['1', '1', '1', '1', '0', '0'],
      ['2', '1', '1', '1', '0', '0'],
    ]);
    const [d] = await json(['topic', 'describe', 'orders']);
    expect(d).toMatchObject({ topic: 'orders', partitionCount: 3, configs: { 'retention.ms': '86400000' } });
    expect(d.partitions[2]).toEqual({ partition: 2, leader: 1, replicas: [1], isr: [1], logStartOffset: 0, logEndOffset: 0 });
    const missing = await cli(['topic', 'describe', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/topic nope: UNKNOWN_TOPIC_OR_PARTITION/);
  });

  it('alters configs and adds partitions', async () => {
    expect(await ok(['topic', 'alter-config', 'orders', '--set', 'cleanup.policy=compact', '--delete', 'retention.ms'])).toBe('Updated configs of topic orders: cleanup.policy=compact, -retention.ms.\n');
    const [d] = await json(['topic', 'describe', 'orders']);
    expect(d.configs).toEqual({ 'cleanup.policy': 'compact' });
    const bad = await cli(['topic', 'alter-config', 'orders', '--set', 'cleanup.policy=sometimes']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_CONFIG/);
    expect(await ok(['topic', 'add-partitions', 'payments', '--partitions', '4'])).toBe('Topic payments now has 4 partitions.\n');
    expect((await json(['topic', 'describe', 'payments']))[0].partitionCount).toBe(4);
    const shrink = await cli(['topic', 'add-partitions', 'payments', '--partitions', '2']);
    expect(shrink.code).toBe(1);
    expect(shrink.stderr).toMatch(/INVALID_PARTITIONS/);
  });

  it('deletes topics', async () => {
    expect(await ok(['topic', 'delete', 'legacy'])).toBe('Deleted topic legacy.\n');
    expect((await json<Array<{ topic: string }>>(['topic', 'list'])).map((t) => t.topic)).not.toContain('legacy');
    const again = await cli(['topic', 'delete', 'legacy']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/UNKNOWN_TOPIC_OR_PARTITION/);
    expect((await cli(['topic', 'delete', 'legacy', '--if-exists'])).code).toBe(0);
  });
});

describe('runnel produce / consume', () => {
  it('produces keyed lines with headers to the partitions murmur2 picks, and prints where they went', async () => {
    const input = Array.from({ length: 30 }, (_, i) => `user-${i}:{"n":${i}}`).join('\n') + '\n';
    const res = await json<{ records: number; partitions: Array<{ partition: number; records: number; firstOffset: number; lastOffset: number }> }>(['produce', 'orders', '--key-separator', ':', '--header', 'source=cli', '--compression', 'lz4'], { input });
    expect(res.records).toBe(30);
    const expected = new Map<number, number>();
    for (let i = 0; i < 30; i++) expected.set(partitionForKey(`user-${i}`, 3), (expected.get(partitionForKey(`user-${i}`, 3)) ?? 0) + 1);
    for (const p of res.partitions) expect(p.records).toBe(expected.get(p.partition));
    const lines = (await ok(['consume', 'orders', '--from-beginning', '--exit-at-end', '--format', 'json'])).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(30);
    for (const r of lines) {
      expect(r.partition).toBe(partitionForKey(r.key, 3));
      expect(r.headers).toEqual([{ key: 'source', value: 'cli' }]);
      expect(JSON.parse(r.value).n).toBe(Number(r.key.slice(5)));
    }
    // The table for people.
    const t = table((await cli(['produce', 'payments', '--partition', '3'], { input: 'a\nb\n' })).stdout);
    expect(t.header).toEqual(['TOPIC', 'PARTITION', 'RECORDS', 'FIRST-OFFSET', 'LAST-OFFSET']);
    expect(t.rows).toEqual([['payments', '3', '2', '0', '1']]);
  });

  it("reads the console producer's --property spellings, null markers and per-line headers", async () => {
    await ok(['topic', 'create', 'props', '--partitions', '1']);
    await ok(['produce', 'props', '--property', 'parse.key=true', '--property', 'key.separator=|', '--property', 'parse.headers=true', '--null-marker', 'NULL'], { input: 'h1:x,h2:y\tk1|v1\n\tk2|NULL\n' });
    const out = await ok(['consume', 'props', '--from-beginning', '--exit-at-end', '--print-key', '--print-headers', '--print-offset', '--print-partition', '--print-timestamp', '--quiet']);
    const rows = out.trim().split('\n').map((l) => l.split('\t'));
    expect(rows[0]).toEqual([expect.stringMatching(/^CreateTime:\d{13}$/), 'Partition:0', 'Offset:0', 'h1:x,h2:y', 'k1', 'v1']);
    expect(rows[1]).toEqual([expect.stringMatching(/^CreateTime:/), 'Partition:0', 'Offset:1', 'NO_HEADERS', 'k2', 'null']);
    // --property print.* spellings and a custom separator
    expect(await ok(['consume', 'props', '--from-beginning', '--max-messages', '1', '--property', 'print.key=true', '--property', 'key.separator= => ', '--quiet'])).toBe('k1 => v1\n');
  });

  it('starts from an offset, a time, or the end; stops at --max-messages or --timeout-ms', async () => {
    await ok(['topic', 'create', 'timeline', '--partitions', '1']);
    await ok(['produce', 'timeline'], { input: 'a\nb\nc\n' });
    await new Promise((r) => setTimeout(r, 20));
    const middle = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await ok(['produce', 'timeline'], { input: 'd\ne\n' });
    expect(await ok(['consume', 'timeline', '--partition', '0', '--offset', '3', '--exit-at-end', '--quiet'])).toBe('d\ne\n');
    expect(await ok(['consume', 'timeline', '--from-timestamp', String(middle), '--exit-at-end', '--quiet'])).toBe('d\ne\n');
    expect(await ok(['consume', 'timeline', '--from-timestamp', new Date(middle).toISOString(), '--exit-at-end', '--quiet'])).toBe('d\ne\n');
    const r = await cli(['consume', 'timeline', '--from-beginning', '--max-messages', '2']);
    expect(r.stdout).toBe('a\nb\n');
    expect(r.stderr).toBe('Processed a total of 2 messages\n');
    const t0 = Date.now();
    expect(await ok(['consume', 'timeline', '--timeout-ms', '700', '--quiet'])).toBe(''); // from the end: nothing new
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await ok(['consume', 'timeline', '--from-beginning', '--max-messages', '1', '--value-format', 'hex', '--quiet'])).toBe('61\n');
    const bad = await cli(['consume', 'timeline', '--offset', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--offset N needs --partition/);
  });

  it('consumes in a group and commits what it printed', async () => {
    await ok(['consume', 'timeline', '--group', 'cli-group', '--from-beginning', '--max-messages', '4', '--quiet']);
    const d = await json(['group', 'describe', 'cli-group']);
    expect(d.state).toBe('Empty');
    expect(d.offsets).toEqual([expect.objectContaining({ topic: 'timeline', partition: 0, currentOffset: 4, logEndOffset: 5, lag: 1 })]);
    // The next member of the group continues where the first stopped.
    expect(await ok(['consume', 'timeline', '--group', 'cli-group', '--exit-at-end', '--quiet'])).toBe('e\n');
  });

  it('round-trips 100,000 records through the binary (stdin → produce, consume → stdout)', async () => {
    await ok(['topic', 'create', 'bulk', '--partitions', '4']);
    const lines = Array.from({ length: 100_000 }, (_, i) => `k${i % 997}:record-${i}`);
    const file = join(workDir, 'bulk.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    const produced = await bin(['produce', 'bulk', '--key-separator', ':', '--file', file, '--compression', 'zstd', '--format', 'json'], { timeoutMs: 120_000 });
    expect(produced.code, produced.stderr).toBe(0);
    expect(JSON.parse(produced.stdout).records).toBe(100_000);
    const consumed = await bin(['consume', 'bulk', '--from-beginning', '--max-messages', '100000', '--print-key', '--key-separator', ':', '--print-partition'], { timeoutMs: 120_000 });
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stderr).toContain('Processed a total of 100000 messages');
    const out = consumed.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(100_000);
    const values = new Set<string>();
    const lastIndexPerKey = new Map<string, number>();
    for (const l of out) {
      // Kafka's formatter puts key.separator between every printed field: Partition:N:key:value
      const [label, part, key, value] = l.split(':');
      expect(label).toBe('Partition');
      expect(Number(part)).toBe(partitionForKey(key!, 4));
      values.add(`${key}:${value}`);
      // Within a key (one partition), records come back in the order they were written.
      const i = Number(value!.slice('record-'.length));
      expect(i).toBeGreaterThan(lastIndexPerKey.get(key!) ?? -1);
      lastIndexPerKey.set(key!, i);
    }
    expect(values.size).toBe(100_000);
    for (const l of lines) expect(values.has(l)).toBe(true);
    const offsets = await json<Array<{ logEndOffset: number }>>(['offsets', 'get', 'bulk']);
    expect(offsets.reduce((n, o) => n + o.logEndOffset, 0)).toBe(100_000);
  }, 180_000);
});

describe('runnel offsets / config', () => {
  it('gets log start/end offsets, and offsets by time', async () => {
    const t = table(await ok(['offsets', 'get', 'timeline']));
    expect(t.header).toEqual(['TOPIC', 'PARTITION', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'RECORDS']);
    expect(t.rows).toEqual([['timeline', '0', '0', '5', '5']]);
    expect(await json(['offsets', 'get', 'timeline', '--time', 'earliest'])).toEqual([{ topic: 'timeline', partition: 0, offset: 0, timestamp: null }]);
    expect((await json(['offsets', 'get', 'timeline', '--time', '-1']))[0].offset).toBe(5);
    expect((await json(['offsets', 'get', 'timeline', '--time', String(Date.now() + 60_000)]))[0].offset).toBeNull();
    // d and e share a batch (and maybe a millisecond): Kafka answers the first record with the largest timestamp.
    expect([3, 4]).toContain((await json(['offsets', 'get', '--topic', 'timeline', '--time', 'max-timestamp']))[0].offset);
  });

  it('describes and alters topic and broker configs (kafka-configs spellings too)', async () => {
    await ok(['config', 'alter', '--topic', 'timeline', '--set', 'retention.ms=3600000']);
    const t = table(await ok(['config', 'describe', '--topic', 'timeline']));
    expect(t.header).toEqual(['NAME', 'VALUE', 'SOURCE', 'READ-ONLY']);
    expect(t.rows).toEqual([['retention.ms', '3600000', 'DYNAMIC_TOPIC_CONFIG', 'no']]);
    const all = await json<Array<{ name: string; source: string }>>(['config', 'describe', '--topic', 'timeline', '--all']);
    expect(all.find((c) => c.name === 'segment.bytes')?.source).toBe('DEFAULT_CONFIG');
    await ok(['config', '--alter', '--entity-type', 'brokers', '--entity-name', '1', '--add-config', 'message.max.bytes=2000000,log.retention.ms=7200000']);
    const broker1 = await json<Array<{ name: string; value: string; source: string }>>(['config', 'describe', '--broker', '1']);
    expect(broker1.find((c) => c.name === 'message.max.bytes')).toMatchObject({ value: '2000000', source: 'DYNAMIC_BROKER_CONFIG' });
    await ok(['config', 'alter', '--broker', '1', '--delete', 'message.max.bytes', '--delete', 'log.retention.ms']);
    const after = await json<Array<{ name: string }>>(['config', 'describe', '--broker', '1']);
    expect(after.find((c) => c.name === 'message.max.bytes')).toBeUndefined();
    const bad = await cli(['config', 'alter', '--broker', '1', '--set', 'listeners=PLAINTEXT://x:1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot alter configs of broker 1: INVALID_CONFIG|INVALID_REQUEST/);
  });
});

describe('runnel group (with kafkajs)', () => {
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], clientId: 'kjs-cli', logLevel: logLevel.NOTHING });
  let consumer: KafkaJsConsumer | null = null;
  const firstOffsets = new Map<number, number>();

  /** Runs a kafkajs member of group kjs until `done` says so (after each record). */
  async function runKafkaJs(done: (p: number, o: number) => boolean): Promise<void> {
    consumer = kafka().consumer({ groupId: 'kjs', sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'lag', fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer!.run({
        eachMessage: async ({ partition, message }) => {
          if (done(partition, Number(message.offset))) resolve();
        },
      });
    });
  }

  async function stopKafkaJs(): Promise<void> {
    await consumer?.disconnect();
    consumer = null;
  }

  async function describeUntil(pred: (d: any) => boolean): Promise<any> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const d = await json(['group', 'describe', 'kjs']);
      if (pred(d) || Date.now() > deadline) return d;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  afterAll(async () => {
    await stopKafkaJs().catch(() => undefined);
  });

  it('describes a group consumed by kafkajs with the right LAG, live and after it stopped', async () => {
    await ok(['topic', 'create', 'lag', '--partitions', '3']);
    await ok(['produce', 'lag', '--key-separator', ':'], { input: Array.from({ length: 300 }, (_, i) => `k${i}:v${i}`).join('\n') });
    let n = 0;
    await runKafkaJs(() => ++n >= 300);
    const live = await describeUntil((d) => d.state === 'Stable' && d.totalLag === 0 && d.offsets.every((o: any) => o.currentOffset === o.logEndOffset));
    expect(live.state).toBe('Stable');
    expect(live.offsets).toHaveLength(3);
    for (const o of live.offsets) {
      expect(o).toMatchObject({ group: 'kjs', topic: 'lag', lag: 0, clientId: 'kjs-cli' });
      expect(o.consumerId).toMatch(/^kjs-cli-/);
    }
    const t = table(await ok(['group', 'describe', 'kjs']));
    expect(t.header).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
    expect(t.rows.map((r) => r.slice(0, 6))).toEqual(live.offsets.map((o: any) => ['kjs', 'lag', String(o.partition), String(o.currentOffset), String(o.logEndOffset), '0']));
    const members = table(await ok(['group', 'describe', 'kjs', '--members']));
    expect(members.header).toEqual(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS']);
    expect(members.rows[0]![4]).toBe('3');
    expect(table(await ok(['group', 'describe', 'kjs', '--state'])).rows).toEqual([['kjs', 'RoundRobinAssigner', 'Stable', '1']]);
    expect(table(await ok(['group', 'list'])).rows).toContainEqual(['kjs', 'Stable', 'consumer']);
    // While the group is active, resetting its offsets is refused.
    const busy = await cli(['group', 'reset-offsets', 'kjs', '--topic', 'lag', '--to-earliest', '--execute']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/can only be reset if the group 'kjs' is inactive, but the current state is Stable/);
    const deleteBusy = await cli(['group', 'delete', 'kjs']);
    expect(deleteBusy.code).toBe(1);
    expect(deleteBusy.stderr).toMatch(/NON_EMPTY_GROUP/);

    await stopKafkaJs();
    const before = new Map<number, number>(live.offsets.map((o: any) => [o.partition, o.logEndOffset]));
    // 10, 15 and 20 more records on partitions 0, 1, 2.
    for (const [p, n] of [[0, 10], [1, 15], [2, 20]] as const) await ok(['produce', 'lag', '--partition', String(p)], { input: 'x\n'.repeat(n) });
    const idle = await json(['group', 'describe', 'kjs']);
    expect(idle.state).toBe('Empty');
    expect(idle.totalLag).toBe(45);
    expect(idle.offsets.map((o: any) => [o.partition, o.currentOffset, o.logEndOffset, o.lag, o.consumerId])).toEqual([
      [0, before.get(0), before.get(0)! + 10, 10, null],
      [1, before.get(1), before.get(1)! + 15, 15, null],
      [2, before.get(2), before.get(2)! + 20, 20, null],
    ]);
    const r = await cli(['group', 'describe', 'kjs']);
    expect(r.stderr).toBe("Consumer group 'kjs' has no active members.\n");
    expect(table(r.stdout).rows.map((row) => row.slice(5))).toEqual([['10', '-', '-', '-'], ['15', '-', '-', '-'], ['20', '-', '-', '-']]);
  });

  it('previews resets, and --execute moves where kafkajs resumes', async () => {
    const committed = async () => new Map<number, number>((await json(['group', 'describe', 'kjs'])).offsets.map((o: any) => [o.partition, o.currentOffset]));
    const start = await committed();
    const preview = await cli(['group', 'reset-offsets', 'kjs', '--topic', 'lag', '--to-earliest']);
    expect(preview.code).toBe(0);
    expect(preview.stderr).toMatch(/preview/);
    const t = table(preview.stdout);
    expect(t.header).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']);
    expect(t.rows).toEqual([['kjs', 'lag', '0', '0'], ['kjs', 'lag', '1', '0'], ['kjs', 'lag', '2', '0']]);
    expect(await committed()).toEqual(start);

    const shifted = await json(['group', 'reset-offsets', 'kjs', '--all-topics', '--shift-by', '-3', '--dry-run']);
    expect(shifted.executed).toBe(false);
    expect(shifted.offsets.map((o: any) => o.newOffset)).toEqual([0, 1, 2].map((p) => start.get(p)! - 3));
    // Kafka clamps offsets into the log.
    const clamped = await cli(['group', 'reset-offsets', 'kjs', '--topic', 'lag:1', '--to-offset', '999999']);
    expect(clamped.stderr).toMatch(/New offset \(999999\) is higher than latest offset for lag-1/);
    expect(table(clamped.stdout).rows).toEqual([['kjs', 'lag', '1', String(start.get(1)! + 15)]]);

    const executed = await json(['group', 'reset-offsets', 'kjs', '--topic', 'lag', '--to-offset', '5', '--execute']);
    expect(executed.executed).toBe(true);
    expect(await committed()).toEqual(new Map([[0, 5], [1, 5], [2, 5]]));
    // The real group resumes from the new offsets.
    await runKafkaJs((p, o) => {
      if (!firstOffsets.has(p)) firstOffsets.set(p, o);
      return firstOffsets.size === 3;
    });
    await stopKafkaJs();
    expect(new Map([...firstOffsets].sort())).toEqual(new Map([[0, 5], [1, 5], [2, 5]]));

    // --to-datetime: everything after a moment (the 45 records produced last are all after it).
    const moment = Date.now() - 60_000;
    const dated = await json(['group', 'reset-offsets', 'kjs', '--topic', 'lag', '--to-datetime', new Date(moment).toISOString(), '--execute']);
    expect(dated.offsets.map((o: any) => o.newOffset)).toEqual([0, 0, 0]);
    const late = await json(['group', 'reset-offsets', 'kjs', '--topic', 'lag', '--to-datetime', String(Date.now() + 60_000)]);
    expect(late.offsets.map((o: any) => o.newOffset)).toEqual((await json(['group', 'describe', 'kjs'])).offsets.map((o: any) => o.logEndOffset));
    const noSpec = await cli(['group', 'reset-offsets', 'kjs', '--topic', 'lag']);
    expect(noSpec.code).toBe(2);
    expect(noSpec.stderr).toMatch(/give exactly one of --to-earliest/);
  });

  it('deletes an inactive group', async () => {
    expect(await ok(['group', 'delete', 'kjs'])).toBe("Deletion of requested consumer groups ('kjs') was successful.\n");
    expect((await json<Array<{ group: string }>>(['group', 'list'])).map((g) => g.group)).not.toContain('kjs');
    const gone = await cli(['group', 'describe', 'kjs']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/Consumer group 'kjs' does not exist/);
    const again = await cli(['group', 'delete', 'kjs']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/GROUP_ID_NOT_FOUND/);
  });
});

describe('runnel perf', () => {
  it('measures producer throughput and latency percentiles like kafka-producer-perf-test', async () => {
    await ok(['topic', 'create', 'perf', '--partitions', '2']);
    const out = await ok(['perf', 'produce', 'perf', '--num-records', '20000', '--record-size', '200', '--throughput', '-1', '--producer-props', 'acks=1', 'linger.ms=2']);
    expect(out).toMatch(/^20000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.\n$/);
    const j = await json(['perf', 'produce', 'perf', '--num-records', '5000', '--throughput', '5000']);
    expect(j).toMatchObject({ records: 5000 });
    expect(j.elapsedMs).toBeGreaterThanOrEqual(900); // throttled to 5000 records/s
    expect(j.p99Ms).toBeGreaterThanOrEqual(j.p50Ms);
  });

  it('measures consumer throughput', async () => {
    const c = await json(['perf', 'consume', 'perf', '--messages', '25000']);
    expect(c).toMatchObject({ records: 25000 });
    expect(c.mb).toBeCloseTo((20000 * 200 + 5000 * 100) / 1024 / 1024, 3);
    const t = table(await ok(['perf', 'consume', 'perf', '--messages', '100', '--group', 'perf-group']));
    expect(t.header[0]).toBe('RECORDS');
    expect(t.rows[0]![0]).toBe('100');
  });
});

describe('errors, help and exit codes (the binary)', () => {
  it('explains usage errors with exit code 2 and runtime errors with 1', async () => {
    const unknown = await bin(['topik', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^runnel: unknown command 'topik' \(did you mean 'topic'\?\)/);
    const flag = await bin(['topic', 'create', 'x', '--partitons', '3']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option --partitons \(did you mean --partitions\?\)/);
    const down = await run(process.execPath, [join(REPO_ROOT, 'dist', 'runnel.mjs'), 'topic', 'list', '--bootstrap-server', '127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe('runnel: cannot connect to 127.0.0.1:1: ECONNREFUSED\n');
    const missing = await bin(['produce']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing topic name/);
  });

  it('prints help for the command, each group and each subcommand', async () => {
    const top = await bin(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['start', 'topic', 'produce', 'consume', 'group', 'offsets', 'config', 'schema', 'perf']) expect(top.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const group = await bin(['group', '--help']);
    expect(group.stdout).toMatch(/usage: runnel group <list\|describe\|reset-offsets\|delete>/);
    const reset = await bin(['group', 'reset-offsets', '--help']);
    expect(reset.stdout).toMatch(/--to-datetime TIME/);
    expect(reset.stdout).toMatch(/--bootstrap-server, -b HOST:PORT/);
    const start = await bin(['start', '--help']);
    expect(start.stdout).toMatch(/--log\.dirs LIST/);
    expect(start.stdout).toMatch(/--num\.partitions INT/);
  });

  it('speaks through kafka-tool aliases and reads stdin through a pipe', async () => {
    const r = await bin(['kafka-topics.sh', '--list', '--bootstrap-server', broker.bootstrap, '--topic', 'orders', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ topic: 'orders' })]);
    const p = await bin(['produce', 'props', '--quiet'], { input: 'piped\n' });
    expect(p.code).toBe(0);
    const c = await bin(['consume', 'props', '--partition', '0', '--offset', '2', '--max-messages', '1', '--quiet']);
    expect(c.stdout).toBe('piped\n');
  });
});
