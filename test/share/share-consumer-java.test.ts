/**
 * Share groups (KIP-932) with the real Java KafkaShareConsumer 4.4 (test/java ShareWorker,
 * explicit acknowledgement): several workers share one topic without owning partitions; every
 * record is accepted once and held by one worker at a time; a stuck worker's records go to others
 * after the lock timeout; an explicit RELEASE redelivers at once; a poison record is delivered
 * exactly group.share.delivery.count.limit times, then archived; a classic consumer group reads
 * the same topic independently.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBroker, startTestBroker, type ChildBroker, type TestBroker } from '../helpers/broker.js';
import { javaAvailable, runJavaOk, spawnJava, type JavaProcess } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';

const CONFIG = {
  'group.share.min.heartbeat.interval.ms': 500,
  'group.share.heartbeat.interval.ms': 1000,
  'group.share.min.session.timeout.ms': 6000,
  'group.share.session.timeout.ms': 6000,
  'group.share.min.record.lock.duration.ms': 1000,
  'group.share.record.lock.duration.ms': 3000,
  'runnel.group.share.auto.offset.reset': 'earliest',
  'runnel.group.share.dead.letter.topics': 'poison-pool=dlq.poison',
  'num.partitions': 3,
};

type Item = [value: string, where: string, deliveryCount: number, action: string];

function itemsOf(w: JavaProcess): Item[] {
  const out: Item[] = [];
  for (const l of w.lines) {
    try {
      const j = JSON.parse(l);
      if (j.event === 'records') out.push(...(j.items as Item[]));
    } catch {
      // not JSON
    }
  }
  return out;
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!javaAvailable())('share groups with the Java KafkaShareConsumer', () => {
  let broker: TestBroker;
  let bootstrap: string;
  const workers: JavaProcess[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ config: CONFIG });
    bootstrap = `127.0.0.1:${broker.port}`;
  }, 60_000);

  afterAll(async () => {
    if (process.env.SHARE_TEST_LOGS) workers.forEach((w, i) => writeFileSync(`${process.env.SHARE_TEST_LOGS}-${i}.log`, [...w.errLines, '--- stdout', ...w.lines.map((l) => l.slice(0, 300))].join('\n')));
    for (const w of workers) w.kill();
    await broker?.cleanup();
  });

  const produce = (topic: string, count: number, pattern: string) =>
    runJavaOk('Produce', ['--bootstrap', bootstrap, '--topic', topic, '--count', String(count), '--value-pattern', pattern, '--key-pattern', 'k%d']);

  const worker = async (group: string, topic: string, extra: string[] = []) => {
    const w = await spawnJava('ShareWorker', ['--bootstrap', bootstrap, '--group', group, '--topic', topic, ...extra]);
    workers.push(w);
    await w.waitFor((j) => j.event === 'ready', 60_000);
    return w;
  };

  it('5 workers share a 3-partition topic: every record accepted once, one worker at a time', async () => {
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', 'jobs', '--partitions', '3']);
    const ws = await Promise.all([1, 2, 3, 4, 5].map(() => worker('pool', 'jobs')));
    // Produce once all five are members: produced first, the first worker up could take every job
    // before the others join (seen on a loaded machine), and the spread check below would fail.
    await waitUntil(() => broker.broker.shareGroups.describe('pool')?.group.members.size === 5, 60_000, 'five members');
    await produce('jobs', 3000, 'job-%d');
    await waitUntil(() => new Set(ws.flatMap(itemsOf).filter((i) => i[3] === 'accept').map((i) => i[0])).size >= 3000, 120_000, 'all jobs accepted').catch((err) => {
      const accepted = ws.map((w) => itemsOf(w).length);
      throw new Error(`${(err as Error).message}; per worker ${JSON.stringify(accepted)}; state ${JSON.stringify(broker.broker.shareGroups.inFlight('pool'))}; stderr ${ws.map((w) => w.errLines.filter((l) => /Exception|ERROR|WARN/.test(l)).slice(0, 6).join('|')).join('\n')}`);
    });
    const all = ws.flatMap(itemsOf);
    const accepted = all.filter((i) => i[3] === 'accept').map((i) => i[0]);
    expect(new Set(accepted).size).toBe(3000);
    expect(accepted.length).toBe(3000); // nothing accepted twice: no lock expired, no duplicate
    const counts = new Map<number, number>();
    for (const i of all) counts.set(i[2], (counts.get(i[2]) ?? 0) + 1);
    expect([...counts]).toEqual([[1, 3000]]);
    // Work was spread: more than one worker got records.
    expect(ws.filter((w) => itemsOf(w).length > 0).length).toBeGreaterThan(1);
    const d = await runJavaOk('Admin', ['describe-groups', '--bootstrap', bootstrap, '--group', 'pool']).catch(() => null);
    void d;
    for (const w of ws) w.send('stop');
    await Promise.all(ws.map((w) => w.exited));
  }, 240_000);
  it('a classic consumer group reads the same topic independently', async () => {
    const r = await runJavaOk('Consume', ['--bootstrap', bootstrap, '--topic', 'jobs', '--group', 'classic-readers', '--group-protocol', 'classic', '--from-beginning', '--max', '3000', '--timeout-ms', '60000']);
    expect(r.count).toBe(3000);
  }, 120_000);

  it('a worker stuck mid-batch: its records go to another worker after the lock timeout (its connection still open)', async () => {
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', 'stuck', '--partitions', '1']);
    await produce('stuck', 10, 'stuck-%d');
    const a = await worker('stuck-pool', 'stuck', ['--hang-after', '3']);
    await a.waitFor((j) => j.event === 'hung', 60_000);
    const hungAt = Date.now();
    const b = await worker('stuck-pool', 'stuck');
    await waitUntil(() => itemsOf(b).filter((i) => i[3] === 'accept').length >= 10, 60_000, 'b accepted all');
    const got = itemsOf(b);
    expect(new Set(got.map((i) => i[0])).size).toBe(10);
    // What the stuck worker held comes back as a later delivery (2, or more if the stuck worker's
    // client fetched it again after a lock ran out), once its lock ran out (3 s).
    expect(got.every((i) => i[2] >= 2), JSON.stringify(got.map((i) => i[2]))).toBe(true);
    const firstTs = JSON.parse(b.lines.find((l) => l.includes('"records"'))!).ts as number;
    expect(firstTs - hungAt).toBeGreaterThan(1000);
    a.kill();
    b.send('stop');
    await b.exited;
  }, 120_000);

  it('a worker killed mid-batch: its connection closes and its records go to another worker at once', async () => {
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', 'killed', '--partitions', '1']);
    await produce('killed', 10, 'killed-%d');
    // A long lock and session (the group's own settings): a redelivery within seconds can only come from the closed connection.
    const c = await RawClient.connect('127.0.0.1', broker.port);
    try {
      const r = await c.request(44, 1, { resources: [{ resourceType: 32, resourceName: 'killed-pool', configs: [{ name: 'share.record.lock.duration.ms', configOperation: 0, value: '60000' }, { name: 'share.session.timeout.ms', configOperation: 0, value: '60000' }] }], validateOnly: false });
      expect(r.responses[0].errorCode).toBe(0);
    } finally {
      c.close();
    }
    const a = await worker('killed-pool', 'killed', ['--hang-after', '3']);
    await a.waitFor((j) => j.event === 'hung', 60_000);
    a.kill();
    const killedAt = Date.now();
    const b = await worker('killed-pool', 'killed');
    await waitUntil(() => itemsOf(b).filter((i) => i[3] === 'accept').length >= 10, 30_000, 'b accepted all well before the 60 s lock');
    expect(itemsOf(b).every((i) => i[2] === 2)).toBe(true);
    const firstTs = JSON.parse(b.lines.find((l) => l.includes('"records"'))!).ts as number;
    expect(firstTs - killedAt).toBeLessThan(20_000);
    b.send('stop');
    await b.exited;
  }, 120_000);

  it('an explicit RELEASE redelivers at once, with the delivery count raised', async () => {
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', 'rel', '--partitions', '1']);
    await produce('rel', 20, 'rel-%d');
    const w = await worker('rel-pool', 'rel', ['--release-first', 'true']);
    await waitUntil(() => itemsOf(w).filter((i) => i[3] === 'accept').length >= 20, 60_000, 'all accepted');
    const got = itemsOf(w);
    expect(got.filter((i) => i[3] === 'release').every((i) => i[2] === 1)).toBe(true);
    expect(got.filter((i) => i[3] === 'accept').every((i) => i[2] === 2)).toBe(true);
    const polls = w.lines.map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter((j) => j?.event === 'records');
    // Redelivered well before the 3 s lock would have run out.
    expect(polls[polls.length - 1].ts - polls[0].ts).toBeLessThan(2500);
    w.send('stop');
    await w.exited;
  }, 120_000);

  it('a poison record is delivered exactly group.share.delivery.count.limit (5) times, then archived and copied once to the dead-letter topic; every other job accepted once', async () => {
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', 'poison', '--partitions', '2']);
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', 'dlq.poison', '--partitions', '1']);
    await produce('poison', 1000, 'job-%d');
    const ws = await Promise.all([1, 2, 3].map(() => worker('poison-pool', 'poison', ['--fail', 'job-500'])));
    await waitUntil(() => new Set(ws.flatMap(itemsOf).filter((i) => i[3] === 'accept').map((i) => i[0])).size >= 999, 120_000, 'all good jobs accepted');
    await waitUntil(() => ws.flatMap(itemsOf).filter((i) => i[0] === 'job-500').length >= 5, 60_000, 'poison delivered 5 times');
    await new Promise((r) => setTimeout(r, 3000)); // no sixth delivery comes
    const all = ws.flatMap(itemsOf);
    const poison = all.filter((i) => i[0] === 'job-500');
    expect(poison.map((i) => i[2]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(poison.every((i) => i[3] === 'release')).toBe(true);
    const accepted = all.filter((i) => i[3] === 'accept');
    expect(accepted.length).toBe(999);
    expect(new Set(accepted.map((i) => i[0])).size).toBe(999);
    expect(broker.broker.shareGroups.archivedRecords).toBeGreaterThanOrEqual(1);
    // Then it is in the dead-letter topic once, with its origin in the headers.
    const dlq = await runJavaOk('Consume', ['--bootstrap', bootstrap, '--topic', 'dlq.poison', '--from-beginning', '--max', '5', '--idle-ms', '3000', '--timeout-ms', '20000', '--records']);
    expect(dlq.count).toBe(1);
    expect(dlq.records[0].slice(3)).toEqual(['k500', 'job-500', { '__dlq.errors.group': 'poison-pool', '__dlq.errors.topic': 'poison', '__dlq.errors.partition': String(dlq.records[0][5]['__dlq.errors.partition']), '__dlq.errors.offset': dlq.records[0][5]['__dlq.errors.offset'], '__dlq.errors.delivery.count': '5', '__dlq.errors.message': 'Offset delivery count exceeded the threshold.' }]);
    expect(broker.broker.shareGroups.deadLetters.written).toBe(1);
    for (const w of ws) w.send('stop');
    await Promise.all(ws.map((w) => w.exited));
  }, 240_000);
});

describe.skipIf(!javaAvailable())('the poison-message worker pool through a broker kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-kill-'));
  let broker: ChildBroker | null = null;
  const workers: JavaProcess[] = [];

  afterAll(async () => {
    for (const w of workers) w.kill();
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('4 workers, 3000 jobs, one always fails: every good job accepted (at least once), the poison one never more than 5 times, archived', async () => {
    broker = await spawnBroker(dataDir, CONFIG);
    const port = broker.port;
    const bootstrap = `127.0.0.1:${port}`;
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', 'kjobs', '--partitions', '3']);
    await runJavaOk('Produce', ['--bootstrap', bootstrap, '--topic', 'kjobs', '--count', '3000', '--value-pattern', 'job-%d', '--key-pattern', 'k%d']);
    for (let i = 0; i < 4; i++) {
      const w = await spawnJava('ShareWorker', ['--bootstrap', bootstrap, '--group', 'kpool', '--topic', 'kjobs', '--fail', 'job-1500', '--prop', 'reconnect.backoff.max.ms=500']);
      workers.push(w);
      await w.waitFor((j) => j.event === 'ready', 60_000);
    }
    const accepted = () => new Set(workers.flatMap(itemsOf).filter((i) => i[3] === 'accept').map((i) => i[0]));
    await waitUntil(() => accepted().size >= 1000, 120_000, 'a third accepted');
    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, CONFIG, port);
    await waitUntil(() => accepted().size >= 2999, 180_000, 'every good job accepted after the crash');
    await waitUntil(() => workers.flatMap(itemsOf).filter((i) => i[0] === 'job-1500').length >= 1, 60_000, 'poison seen');
    await new Promise((r) => setTimeout(r, 20_000)); // time for the poison record's remaining deliveries
    const all = workers.flatMap(itemsOf);
    const poison = all.filter((i) => i[0] === 'job-1500');
    const counts = poison.map((i) => i[2]);
    // Delivery counts are durable before a delivery goes out: never above the limit, never repeated.
    expect(Math.max(...counts)).toBeLessThanOrEqual(5);
    expect(new Set(counts).size).toBe(counts.length);
    expect(accepted().size).toBe(2999);
    expect(accepted().has('job-1500')).toBe(false);
    for (const w of workers) w.send('stop');
    await Promise.all(workers.map((w) => w.exited));
  }, 400_000);
});
