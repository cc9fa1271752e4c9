/**
 * Online migration with the Java consumer (kafka-clients 4.4): a group of three classic members
 * (group.protocol=classic) consuming under continuous produce is upgraded by rolling restart, one
 * member at a time, to group.protocol=consumer — the broker restarts in the middle, with a mixed
 * group — then downgraded back the same way. From the members' own rebalance callbacks: no
 * partition is owned by two members at once; every acknowledged record is consumed (at least
 * once); and committed offsets are kept across every step (records consumed and committed before
 * the migration are never read again).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { javaAvailable, spawnJava } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';
import { settled } from '../helpers/group-settle.js';

const TOPIC = 'mig-orders';
const GROUP = 'mig-java';
const PARTITIONS = 12;
const CONFIG = {
  'group.consumer.min.heartbeat.interval.ms': 500,
  'group.consumer.heartbeat.interval.ms': 1000,
  'group.consumer.min.session.timeout.ms': 6000,
  'group.consumer.session.timeout.ms': 10000,
  'group.initial.rebalance.delay.ms': 500,
};

interface Event {
  event: string;
  partitions?: string[];
  values?: string[];
  ts?: number;
  error?: string;
}

interface Member {
  name: string;
  events: Event[];
  stop(): void;
  exited: Promise<unknown>;
  waitFor(pred: (e: Event) => boolean, timeoutMs?: number): Promise<void>;
}

async function javaMember(name: string, bootstrap: string, protocol: 'classic' | 'consumer'): Promise<Member> {
  const args = ['--bootstrap', bootstrap, '--group', GROUP, '--client-id', name, '--group-protocol', protocol, '--topic', TOPIC];
  if (protocol === 'classic') args.push('--prop', 'session.timeout.ms=10000', '--prop', 'heartbeat.interval.ms=1000');
  const p = await spawnJava('GroupMember', args, { timeoutMs: 10 * 60_000 });
  const events: Event[] = [];
  let seen = 0;
  const pump = () => {
    for (; seen < p.lines.length; seen++) {
      try {
        events.push(JSON.parse(p.lines[seen]!) as Event);
      } catch {
        // not an event line
      }
    }
  };
  const t = setInterval(pump, 50);
  void p.exited.then(() => {
    pump();
    clearInterval(t);
  });
  return {
    name,
    events,
    stop: () => p.send('stop'),
    exited: p.exited,
    async waitFor(pred, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (!events.some(pred)) {
        if (Date.now() > deadline) throw new Error(`${name}: timed out; last events ${JSON.stringify(events.filter((e) => e.event !== 'records').slice(-4)).slice(0, 600)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** Per partition, the members' ownership intervals from their callbacks; the overlaps found. */
function overlaps(members: Member[]): string[] {
  const intervals = new Map<string, Array<{ member: string; from: number; to: number }>>();
  for (const m of members) {
    const open = new Map<string, number>();
    const close = (p: string, ts: number) => {
      const from = open.get(p);
      if (from === undefined) return;
      open.delete(p);
      if (!intervals.has(p)) intervals.set(p, []);
      intervals.get(p)!.push({ member: m.name, from, to: ts });
    };
    for (const e of m.events) {
      if (e.event === 'assigned') for (const p of e.partitions!) open.set(p, e.ts!);
      if (e.event === 'revoked' || e.event === 'lost') for (const p of e.partitions!) close(p, e.ts!);
    }
    for (const p of [...open.keys()]) close(p, Number.MAX_SAFE_INTEGER);
  }
  const found: string[] = [];
  for (const [p, list] of intervals) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 1; i < list.length; i++) if (list[i]!.from < list[i - 1]!.to) found.push(`${p}: ${list[i - 1]!.member} until ${list[i - 1]!.to}, ${list[i]!.member} from ${list[i]!.from}`);
  }
  return found;
}

const consumed = (members: Member[]) => {
  const all = new Map<string, number>();
  for (const m of members) for (const e of m.events) if (e.event === 'records') for (const v of e.values!) all.set(v, (all.get(v) ?? 0) + 1);
  return all;
};

let broker: TestBroker;
let kafka: Kafka;
let producer: Producer;
const acked: string[] = [];
let producing = false;
let produceLoop: Promise<void> = Promise.resolve();

function startProducing(tag: string): void {
  producing = true;
  let n = 0;
  produceLoop = (async () => {
    while (producing) {
      const values = Array.from({ length: 6 }, () => `${tag}-${n++}`);
      await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ value, partition: (n + i) % PARTITIONS })) });
      acked.push(...values);
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
}

async function stopProducing(): Promise<void> {
  producing = false;
  await produceLoop;
}

/** groupKind(), polled until `ok` holds or `timeoutMs` passed (then the last answer). */
async function groupKindWhen(ok: (k: Awaited<ReturnType<typeof groupKind>>) => boolean, timeoutMs = 30_000): ReturnType<typeof groupKind> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const k = await groupKind();
    if (ok(k) || Date.now() > deadline) return k;
    await pause(200);
  }
}

async function groupKind(): Promise<{ kind: 'consumer' | 'classic' | 'none'; members: number; classicMembers?: number }> {
  const c = await RawClient.connect('127.0.0.1', broker.port);
  try {
    const d = await c.request(69, 1, { groupIds: [GROUP], includeAuthorizedOperations: false });
    if (d.groups[0].errorCode === 0) return { kind: 'consumer', members: d.groups[0].members.length };
    const cl = await c.request(15, 5, { groups: [GROUP], includeAuthorizedOperations: false });
    return cl.groups[0].members.length > 0 ? { kind: 'classic', members: cl.groups[0].members.length } : { kind: 'none', members: 0 };
  } finally {
    c.close();
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!javaAvailable())('rolling upgrade and downgrade of a Java group between the classic and the consumer protocol', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ keepData: true, config: CONFIG });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, clientId: 'migration-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }, 600_000);
  afterAll(async () => {
    producing = false;
    await producer?.disconnect().catch(() => undefined);
    await broker?.cleanup();
  });

  it('keeps one owner per partition, every acknowledged record and the committed offsets', async () => {
    const b = broker.bootstrap;
    const all: Member[] = [];
    const current: Member[] = [];
    const kinds: string[] = [];
    try {
      for (let i = 1; i <= 3; i++) {
        const m = await javaMember(`classic-${i}`, b, 'classic');
        all.push(m);
        current.push(m);
      }
      await Promise.all(current.map((m) => m.waitFor((e) => e.event === 'assigned')));
      // Records consumed and committed before the migration must never be read again.
      const pre = Array.from({ length: 60 }, (_, i) => `pre-${i}`);
      await producer.send({ topic: TOPIC, acks: -1, messages: pre.map((value, i) => ({ value, partition: i % PARTITIONS })) });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && pre.some((v) => !consumed(all).has(v))) await pause(200);
      expect(pre.filter((v) => !consumed(all).has(v))).toEqual([]);
      await pause(1000);
      const preMembers = [...all];
      startProducing('a');

      const roll = async (to: 'classic' | 'consumer', restartAfter: number | null) => {
        for (let i = 0; i < 3; i++) {
          const old = current[i]!;
          old.stop();
          await old.exited;
          const m = await javaMember(`${to}-${i + 1}`, b, to);
          all.push(m);
          current[i] = m;
          await m.waitFor((e) => e.event === 'assigned');
          await settled(current, PARTITIONS);
          const k = await groupKind();
          kinds.push(`${m.name}:${k.kind}/${k.members}`);
          if (restartAfter === i) {
            await stopProducing();
            await producer.disconnect();
            const { dataDir, port } = broker;
            await broker.stop();
            broker = await startTestBroker({ dataDir, port, keepData: true, config: CONFIG });
            producer = kafka.producer({ allowAutoTopicCreation: false });
            await producer.connect();
            startProducing(`r${to}`);
            // The members find the restarted broker and heartbeat again: all three back.
            const k2 = await groupKindWhen((k) => k.members === 3);
            kinds.push(`after-restart:${k2.kind}/${k2.members}`);
          }
        }
      };
      await roll('consumer', 1);
      await roll('classic', null);
      await stopProducing();

      const want = new Set(acked);
      const end = Date.now() + 90_000;
      while (Date.now() < end && [...want].some((v) => !consumed(all).has(v))) await pause(500);
      const seen = consumed(all);
      const missing = acked.filter((v) => !seen.has(v));
      if (missing.length > 0) for (const m of all) console.log(m.name, JSON.stringify(m.events.filter((e) => e.event !== 'records')).slice(0, 2500));
      expect(missing.slice(0, 10), `${missing.length} of ${acked.length} acknowledged records never consumed`).toEqual([]);
      expect(overlaps(all)).toEqual([]);
      for (const m of all) expect(m.events.some((e) => e.event === 'assigned'), m.name).toBe(true);
      // Committed offsets were kept: nothing consumed before the migration is read by a later member.
      const later = all.filter((m) => !preMembers.includes(m));
      expect([...consumed(later).keys()].filter((v) => v.startsWith('pre-'))).toEqual([]);
      // The group was a consumer group from the first upgraded member on, and classic again at the end.
      expect(kinds[0]).toBe('consumer-1:consumer/3');
      expect(kinds).toContain('after-restart:consumer/3');
      expect(kinds[kinds.length - 1]).toMatch(/^classic-3:classic\/3$/);
      const dupes = [...seen.values()].filter((n) => n > 1).length;
      console.log(`migration: ${acked.length} records, ${dupes} consumed more than once (at-least-once); ${kinds.join(' ')}`);
      console.log('commit failures', all.map((m) => `${m.name}:${m.events.filter((e) => e.event === 'commit_failed').length}`).join(' '));
    } finally {
      producing = false;
      for (const m of current) m.stop();
      await Promise.all(current.map((m) => m.exited));
    }
  }, 600_000);
});
