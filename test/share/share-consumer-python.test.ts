/**
 * Share groups (KIP-932) with confluent-kafka-python's ShareConsumer (confluent-kafka 2.16.1 from
 * PyPI, librdkafka 2.16.0; in test/.venv, pinned in test/compat/clients/py/requirements.txt),
 * explicit acknowledgement (test/compat/clients/py/share_worker.py): the issue's acceptance with
 * the second client that has a share consumer. 5 workers share a 3-partition topic, every record
 * accepted once at delivery count 1; an explicit RELEASE redelivers at once with the count raised;
 * a stuck then killed worker's records go to another after the lock timeout; a poison record
 * REJECTed goes once to the dead-letter topic.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { CLIENTS_DIR, VENV_PYTHON, pythonModuleMissing } from '../compat/clients/scenario.js';

const CONFIG = {
  'group.share.min.heartbeat.interval.ms': 500,
  'group.share.heartbeat.interval.ms': 1000,
  'group.share.min.session.timeout.ms': 6000,
  'group.share.session.timeout.ms': 6000,
  'group.share.min.record.lock.duration.ms': 1000,
  'group.share.record.lock.duration.ms': 3000,
  'runnel.group.share.auto.offset.reset': 'earliest',
  'runnel.group.share.dead.letter.topics': 'py-poison-pool=dlq.py-poison',
};

type Item = [value: string, where: string, deliveryCount: number, action: string];

interface PyWorker {
  lines: string[];
  err: string[];
  items(): Item[];
  waitFor(pred: (j: any) => boolean, ms: number): Promise<any>;
  stop(): void;
  kill(): void;
  exited: Promise<number | null>;
}

function spawnWorker(opts: Record<string, unknown>): PyWorker {
  const child = spawn(VENV_PYTHON, [join(CLIENTS_DIR, 'py', 'share_worker.py'), JSON.stringify({ max_ms: 120_000, ...opts })], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const err: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => err.push(l));
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const parsed = (): any[] =>
    lines.flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  return {
    lines,
    err,
    items: () => parsed().filter((j) => j.event === 'records').flatMap((j) => j.items as Item[]),
    async waitFor(pred, ms) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = parsed().find(pred);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`timed out; stderr: ${err.slice(-10).join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => child.stdin!.end('stop\n'),
    kill: () => void child.kill('SIGKILL'),
    exited,
  };
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const missing = pythonModuleMissing('confluent_kafka');
describe.skipIf(missing !== null)(`share groups with confluent-kafka-python's ShareConsumer${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;
  const workers: PyWorker[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ config: CONFIG });
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) w.kill();
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await broker?.cleanup();
  });

  const bootstrap = () => `127.0.0.1:${broker.port}`;
  const produce = async (topic: string, n: number) => {
    for (let i = 0; i < n; i += 500) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ key: `k${i + j}`, value: `${topic}-${i + j}` })) });
    }
  };
  const worker = async (group: string, topic: string, extra: Record<string, unknown> = {}) => {
    const w = spawnWorker({ bootstrap: bootstrap(), group, topic, ...extra });
    workers.push(w);
    await w.waitFor((j) => j.event === 'ready', 30_000);
    return w;
  };

  it('5 workers share a 3-partition topic: every record accepted once, at delivery count 1', async () => {
    await admin.createTopics({ topics: [{ topic: 'py-jobs', numPartitions: 3 }] });
    const ws = await Promise.all([1, 2, 3, 4, 5].map(() => worker('py-pool', 'py-jobs')));
    // Produce once all five are members (the first worker up could otherwise take every job alone).
    await waitUntil(() => broker.broker.shareGroups.describe('py-pool')?.group.members.size === 5, 60_000, 'five members');
    await produce('py-jobs', 1500);
    expect(JSON.parse(ws[0]!.lines[0]!).version).toMatch(/^2\.1[6-9].* librdkafka 2\.1[6-9]/);
    const accepted = () => ws.flatMap((w) => w.items()).filter((i) => i[3] === 'accept');
    await waitUntil(() => new Set(accepted().map((i) => i[0])).size >= 1500, 90_000, 'all accepted').catch((e) => {
      throw new Error(`${(e as Error).message}: ${accepted().length}; stderr ${ws.map((w) => w.err.slice(-5).join('|')).join('\n')}`);
    });
    const all = ws.flatMap((w) => w.items());
    expect(accepted().length).toBe(1500); // none twice
    expect(new Set(all.map((i) => i[2]))).toEqual(new Set([1]));
    expect(ws.filter((w) => w.items().length > 0).length).toBeGreaterThan(1);
    expect(ws.flatMap((w) => w.lines).filter((l) => l.includes('ack_failed'))).toEqual([]);
    for (const w of ws) w.stop();
    await Promise.all(ws.map((w) => w.exited));
  }, 180_000);

  it('an explicit RELEASE redelivers at once, with the delivery count raised', async () => {
    await admin.createTopics({ topics: [{ topic: 'py-rel', numPartitions: 1 }] });
    await produce('py-rel', 20);
    const w = await worker('py-rel-pool', 'py-rel', { release_first: true });
    await waitUntil(() => w.items().filter((i) => i[3] === 'accept').length >= 20, 60_000, 'all accepted');
    const got = w.items();
    expect(got.filter((i) => i[3] === 'release').every((i) => i[2] === 1)).toBe(true);
    expect(got.filter((i) => i[3] === 'accept').every((i) => i[2] === 2)).toBe(true);
    const polls = w.lines.map((l) => JSON.parse(l)).filter((j) => j.event === 'records');
    expect(polls[polls.length - 1].ts - polls[0].ts).toBeLessThan(2500); // well before the 3 s lock
    w.stop();
    await w.exited;
  }, 120_000);

  it('a worker stuck mid-batch: its records go to another worker after the lock timeout (its connection still open)', async () => {
    await admin.createTopics({ topics: [{ topic: 'py-stuck', numPartitions: 1 }] });
    await produce('py-stuck', 10);
    const a = await worker('py-stuck-pool', 'py-stuck', { hang_after: 3 });
    await a.waitFor((j) => j.event === 'hung', 60_000);
    const hungAt = Date.now();
    const b = await worker('py-stuck-pool', 'py-stuck');
    await waitUntil(() => b.items().filter((i) => i[3] === 'accept').length >= 10, 60_000, 'b accepted all');
    const got = b.items();
    expect(new Set(got.map((i) => i[0])).size).toBe(10);
    expect(got.every((i) => i[2] === 2)).toBe(true);
    // a is alive and connected: only the 3 s lock's expiry lets b have its records.
    const firstTs = JSON.parse(b.lines.find((l) => l.includes('"records"'))!).ts as number;
    expect(firstTs - hungAt).toBeGreaterThan(1000);
    a.kill();
    b.stop();
    await b.exited;
  }, 120_000);

  it('a worker killed mid-batch: its connection closes and its records go to another worker at once', async () => {
    await admin.createTopics({ topics: [{ topic: 'py-killed', numPartitions: 1 }] });
    await produce('py-killed', 10);
    // A long lock and session (the group's own settings): a redelivery within seconds can only come from the closed connection.
    const c = await RawClient.connect('127.0.0.1', broker.port);
    try {
      const r = await c.request(44, 1, { resources: [{ resourceType: 32, resourceName: 'py-killed-pool', configs: [{ name: 'share.record.lock.duration.ms', configOperation: 0, value: '60000' }, { name: 'share.session.timeout.ms', configOperation: 0, value: '60000' }] }], validateOnly: false });
      expect(r.responses[0].errorCode).toBe(0);
    } finally {
      c.close();
    }
    const a = await worker('py-killed-pool', 'py-killed', { hang_after: 3 });
    await a.waitFor((j) => j.event === 'hung', 60_000);
    a.kill();
    const killedAt = Date.now();
    const b = await worker('py-killed-pool', 'py-killed');
    await waitUntil(() => b.items().filter((i) => i[3] === 'accept').length >= 10, 30_000, 'b accepted all well before the 60 s lock');
    expect(b.items().every((i) => i[2] === 2)).toBe(true);
    const firstTs = JSON.parse(b.lines.find((l) => l.includes('"records"'))!).ts as number;
    expect(firstTs - killedAt).toBeLessThan(10_000);
    b.stop();
    await b.exited;
  }, 120_000);

  it('a REJECTed poison record goes once to the dead-letter topic; every other job accepted once', async () => {
    await admin.createTopics({ topics: [{ topic: 'py-poison', numPartitions: 2 }, { topic: 'dlq.py-poison', numPartitions: 1 }] });
    await produce('py-poison', 300);
    const ws = await Promise.all([1, 2].map(() => worker('py-poison-pool', 'py-poison', { fail: 'py-poison-150', fail_action: 'reject' })));
    const accepted = () => ws.flatMap((w) => w.items()).filter((i) => i[3] === 'accept');
    await waitUntil(() => new Set(accepted().map((i) => i[0])).size >= 299, 60_000, 'all good jobs accepted');
    await waitUntil(() => broker.broker.shareGroups.deadLetters.written >= 1, 10_000, 'dead-lettered');
    const poison = ws.flatMap((w) => w.items()).filter((i) => i[0] === 'py-poison-150');
    expect(poison.map((i) => [i[2], i[3]])).toEqual([[1, 'reject']]);
    expect(accepted().length).toBe(299);
    for (const w of ws) w.stop();
    await Promise.all(ws.map((w) => w.exited));
    const kafka = new Kafka({ brokers: [bootstrap()], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'py-dlq-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'dlq.py-poison', fromBeginning: true });
    const got: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
    await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: String(message.key), value: String(message.value), headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }) });
    await waitUntil(() => got.length >= 1, 30_000, 'DLQ record read');
    await new Promise((r) => setTimeout(r, 1000));
    await consumer.disconnect();
    expect(got.length).toBe(1);
    expect(got[0]!.key).toBe('k150');
    expect(got[0]!.value).toBe('py-poison-150');
    expect(got[0]!.headers).toMatchObject({ '__dlq.errors.group': 'py-poison-pool', '__dlq.errors.topic': 'py-poison', '__dlq.errors.delivery.count': '1' });
    expect(got[0]!.headers['__dlq.errors.message']).toBeTruthy();
  }, 120_000);
});
