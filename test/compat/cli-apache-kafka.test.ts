/**
 * The `runnel` CLI against Apache Kafka itself: the client speaks the Kafka protocol, not just
 * Runnel's. Starts its own Apache Kafka (scripts/apache-kafka.sh, as the differential tests do;
 * skipped where Java or the cached jars are missing), or uses RUNNEL_REFERENCE_KAFKA=host:port.
 */
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { partitionForKey } from '../../src/client/partitioner.js';
import { apacheKafkaAvailable, startApacheKafka, type ApacheKafka } from '../helpers/apache-kafka.js';

const external = process.env.RUNNEL_REFERENCE_KAFKA;
let bootstrap = external;
let kafka: ApacheKafka | undefined;
const suffix = `${process.pid}-${Date.now()}`;

async function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
  const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
  const code = await runCli(args, { stdout, stderr, stdin: Readable.from(input === undefined ? [] : [Buffer.from(input)]), env: { RUNNEL_BOOTSTRAP_SERVER: bootstrap }, stderrIsTTY: false });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

async function json(args: string[], input?: string): Promise<any> {
  const r = await cli([...args, '--format', 'json'], input);
  if (r.code !== 0) throw new Error(`runnel ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.includes('\n{') && !r.stdout.startsWith('[') ? r.stdout.trim().split('\n').map((l) => JSON.parse(l)) : JSON.parse(r.stdout);
}

describe.skipIf(!external && !apacheKafkaAvailable())('runnel CLI against Apache Kafka', () => {
  beforeAll(async () => {
    if (external) return;
    kafka = await startApacheKafka();
    bootstrap = kafka.bootstrap;
  }, 180_000);
  afterAll(async () => {
    await kafka?.stop();
  }, 60_000);
  const topic = `cli-ref-${suffix}`;
  const group = `cli-ref-group-${suffix}`;

  it('manages topics and configs', async () => {
    expect((await cli(['topic', 'create', topic, '--partitions', '3', '--config', 'retention.ms=3600000'])).stdout).toBe(`Created topic ${topic}.\n`);
    expect((await json(['topic', 'list'])).map((t: any) => t.topic)).toContain(topic);
    const [d] = await json(['topic', 'describe', topic]);
    expect(d).toMatchObject({ partitionCount: 3, configs: { 'retention.ms': '3600000' } });
    await json(['topic', 'alter-config', topic, '--set', 'segment.ms=600000']);
    const cfg = await json(['config', 'describe', '--topic', topic]);
    expect(cfg.map((c: any) => c.name)).toEqual(expect.arrayContaining(['segment.ms', 'retention.ms']));
    expect(cfg.find((c: any) => c.name === 'segment.ms')).toMatchObject({ value: '600000', source: 'DYNAMIC_TOPIC_CONFIG' });
    await json(['topic', 'add-partitions', topic, '--partitions', '4']);
    expect((await json(['topic', 'describe', topic]))[0].partitionCount).toBe(4);
    const broker = await json(['config', 'describe', '--broker', '1', '--all']);
    expect(broker.find((c: any) => c.name === 'num.partitions')).toBeDefined();
  });

  it('produces with murmur2 and consumes back, alone and in a group, with lag and resets', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `k${i % 50}:v${i}`).join('\n');
    expect((await json(['produce', topic, '--key-separator', ':', '--compression', 'zstd'], lines)).records).toBe(5000);
    const recs = await json(['consume', topic, '--from-beginning', '--exit-at-end', '--quiet']);
    expect(recs).toHaveLength(5000);
    for (const r of recs) expect(r.partition).toBe(partitionForKey(r.key, 4));
    const first = await cli(['consume', topic, '--group', group, '--from-beginning', '--max-messages', '1000', '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const d = await json(['group', 'describe', group]);
    expect(d.state).toBe('Empty');
    // Every assigned partition is committed (as Java's consumer does), so the lag is all that is left.
    expect(d.totalLag).toBe(4000);
    expect(d.offsets.every((o: any) => o.currentOffset !== null)).toBe(true);
    const reset = await json(['group', 'reset-offsets', group, '--all-topics', '--to-earliest', '--execute']);
    expect(reset.offsets.every((o: any) => o.newOffset === 0)).toBe(true);
    expect((await json(['group', 'describe', group])).totalLag).toBe(5000);
    expect((await json(['group', 'list'])).map((g: any) => g.group)).toContain(group);
    const ends = await json(['offsets', 'get', topic]);
    expect(ends.reduce((n: number, o: any) => n + o.logEndOffset, 0)).toBe(5000);
    expect((await cli(['group', 'delete', group])).code).toBe(0);
  });

  it('runs the perf tools and deletes the topic', async () => {
    const p = await json(['perf', 'produce', topic, '--num-records', '2000', '--record-size', '100']);
    expect(p.records).toBe(2000);
    const c = await json(['perf', 'consume', topic, '--messages', '7000']);
    expect(c.records).toBe(7000);
    expect((await cli(['topic', 'delete', topic])).stdout).toBe(`Deleted topic ${topic}.\n`);
  });
});
