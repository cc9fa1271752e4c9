/**
 * sarama 1.22 (Debian 12's Go Kafka client, golang-github-shopify-sarama-dev; here the same
 * release as a Go module, github.com/Shopify/sarama v1.22.1) writes record batches whose header
 * maxTimestamp is -1. Kafka recomputes it from the records; Runnel stored it as sent, so
 * ListOffsets by timestamp answered -1 for everything sarama 1.22 produced. The program in
 * test/compat/clients/go-sarama122 produces records with chosen timestamps (uncompressed and gzip)
 * and asks sarama's own GetOffset (ListOffsets v1) for offsets by timestamp.
 *
 * Its consumer groups and offset manager commit with OffsetCommit v1 whatever config.Version says,
 * a version Kafka 4.0 removed (KIP-896); Runnel closed the connection on it as Kafka 4 does, the
 * commits were lost silently, and a restarted group re-read everything. The group tests consume
 * part of a topic, stop, restart the broker, and check the next member resumes at the committed
 * offsets: with config.Version 2.1 (the consumer group's Fetch v4, Produce v3+) and 0.10.2 (the
 * group minimum: Fetch v3, Produce v2 with message format v1), and sarama's default config
 * (0.8.2: Produce v0 with message format v0, Fetch v0, the offset manager without a group). Its
 * ClusterAdmin below config.Version 1.0 sends CreateTopics v0/v1 and below 0.11 DeleteTopics v0.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';
import { connectRaw, createTopics } from '../helpers/topic-admin.js';
import { goCommand } from './clients/scenario.js';

const go = goCommand();
const DIR = join(REPO_ROOT, 'test', 'compat', 'clients', 'go-sarama122');
const BIN = join(REPO_ROOT, 'test', '.work', 'compat-go', 'sarama122');
const BASE = 1_700_000_000_000;

const dataDir = tempDir('sarama122');
const CONFIG = { 'group.initial.rebalance.delay.ms': 0 };
let broker: TestBroker;
beforeAll(async () => {
  if (go === null) return;
  broker = await startTestBroker({ dataDir, keepData: true, config: CONFIG });
  mkdirSync(join(BIN, '..'), { recursive: true });
  // -mod=readonly: go.sum pins every module; test/compat/clients/setup.sh downloaded them.
  const r = await run(go, ['-C', DIR, 'build', '-mod=readonly', '-o', BIN, '.'], { timeoutMs: 10 * 60_000 });
  if (r.code !== 0) throw new Error(`go build in ${DIR} failed (exit ${r.code}):\n${r.stderr}`);
}, 600_000);
afterAll(async () => {
  await broker?.cleanup();
  removeDir(dataDir);
});

/** Stops the broker and starts it again on the same data. */
async function restart(): Promise<void> {
  await broker.cleanup();
  broker = await startTestBroker({ dataDir, keepData: true, config: CONFIG });
}

interface Consumed {
  p: number;
  o: number;
  v: string;
}

async function sarama122(o: Record<string, unknown>): Promise<{ produced?: number[]; consumed?: Consumed[]; committed?: Record<string, number>; error?: string }> {
  const r = await run(BIN, [JSON.stringify({ bootstrap: broker.bootstrap, ...o })], { timeoutMs: 90_000 });
  if (r.code !== 0) throw new Error(`sarama122 exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  if (out.error) throw new Error(`sarama122 ${JSON.stringify(o)}: ${out.error}`);
  return out;
}

/** The first offset consumed per partition. */
const firstOffsets = (c: Consumed[]) => c.reduce<Record<number, number>>((acc, r) => ((acc[r.p] ??= r.o), acc), {});
/** The next offset per partition after what was consumed (what a commit of them stores). */
const nextOffsets = (c: Consumed[]) => c.reduce<Record<number, number>>((acc, r) => ((acc[r.p] = Math.max(acc[r.p] ?? 0, r.o + 1)), acc), {});

/**
 * Produces `total` records with `producer` settings, then consumes them in two runs of `consume`
 * with a broker restart in between: the second run must start where the first one's commits left
 * off (no record read twice, none skipped).
 */
async function resumesAfterRestart(topic: string, total: number, firstRun: number, producer: Record<string, unknown>, consume: Record<string, unknown>): Promise<void> {
  const admin = await connectRaw(broker.bootstrap);
  expect((await createTopics(admin, [{ name: topic, numPartitions: 3 }]))[0]!.errorCode).toBe(0);
  admin.close();
  const produced = await sarama122({ mode: 'produce', topic, partitions: 3, count: total, prefix: 'r', ...producer });
  expect(produced.produced).toHaveLength(total);
  const first = await sarama122({ topic, partitions: 3, count: firstRun, ...consume });
  await restart();
  const second = await sarama122({ topic, partitions: 3, count: total - firstRun, ...consume });
  const committed = nextOffsets(first.consumed!);
  // Where the first run stopped is where the second one started, for every partition it read.
  for (const [p, o] of Object.entries(firstOffsets(second.consumed!))) expect(o, `partition ${p}`).toBe(committed[Number(p)] ?? 0);
  const values = [...first.consumed!, ...second.consumed!].map((c) => c.v).sort();
  expect(values).toEqual(Array.from({ length: total }, (_, i) => `r${i}`).sort());
}

async function sarama(o: Record<string, unknown>): Promise<{ produced: number[]; offsets: Record<string, number>; error?: string }> {
  const r = await run(BIN, [JSON.stringify({ bootstrap: broker.bootstrap, base: BASE, ...o })], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`sarama122 exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe.skipIf(go === null)(`sarama 1.22${go === null ? ' (skipped: no go toolchain)' : ''}`, () => {
  it('ListOffsets by timestamp finds the records it produced (uncompressed and gzip)', async () => {
    // Offsets 0-2 at BASE+0,+5,+2, one batch; then 3-5 at BASE+10,+15,+12 gzipped.
    const first = await sarama({ topic: 'sarama122', deltas: [0, 5, 2], queries: [0, 3, 5, 6] });
    expect(first).toEqual({ produced: [0, 1, 2], offsets: { '0': 0, '3': 1, '5': 1, '6': -1 } });
    const second = await sarama({ topic: 'sarama122', deltas: [10, 15, 12], queries: [0, 6, 11, 13, 15, 16], compression: 'gzip' });
    expect(second).toEqual({ produced: [3, 4, 5], offsets: { '0': 0, '6': 3, '11': 4, '13': 4, '15': 4, '16': -1 } });
  }, 120_000);

  it('a consumer group (config.Version 2.1) resumes from its committed offsets after a broker restart', async () => {
    await resumesAfterRestart('sarama-group-21', 30, 12, { version: '2.1.0' }, { mode: 'group', group: 'sarama-g21', version: '2.1.0' });
  }, 240_000);

  it('a consumer group at the group minimum (config.Version 0.10.2: Produce v2 message format v1, Fetch v3) resumes after a restart', async () => {
    await resumesAfterRestart('sarama-group-0102', 30, 17, { version: '0.10.2.0', compression: 'gzip' }, { mode: 'group', group: 'sarama-g0102', version: '0.10.2.0' });
  }, 240_000);

  it('ClusterAdmin below config.Version 1.0 creates and deletes topics (CreateTopics v0/v1, DeleteTopics v0)', async () => {
    for (const version of ['0.10.2.0', '0.11.0.0']) {
      expect(await sarama122({ mode: 'admin', topic: `sarama-admin-${version.replaceAll('.', '')}`, partitions: 3, version })).toEqual({ committed: { partitions: 3 } });
    }
  }, 120_000);

  it("default config (0.8.2: Produce v0 message format v0, Fetch v0, offset manager) resumes after a restart", async () => {
    await resumesAfterRestart('sarama-default', 30, 10, {}, { mode: 'simple', group: 'sarama-simple' });
  }, 240_000);
});
