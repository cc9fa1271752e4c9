/**
 * The consumer group protocol (KIP-848) with real clients: the Java consumer 4.4,
 * confluent-kafka-python 2.16 (librdkafka), both with group.protocol=consumer, and franz-go 1.22
 * (kgo.ServerSideBalancer; when the go toolchain is there), up to six members in one group over a
 * 24-partition topic under continuous produce. Members join one by one, then leave one by one.
 * From the members' own rebalance callbacks: no partition is ever owned by two members at once
 * (a member's revoke callback ends before another's assign callback for that partition starts),
 * and every acknowledged record is consumed. A classic kafkajs group reads the same topic at the
 * same time, then is taken over by a consumer-protocol member that resumes from its offsets
 * (upgrade by restart). Then the broker restarts and the group resumes from its committed offsets;
 * and a regex subscription picks up a topic created later.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { javaAvailable, spawnJava } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';
import { GO_BINARY, ensureGoBuilt, goCommand } from './clients/scenario.js';
import { settled } from '../helpers/group-settle.js';

const VENV_PYTHON = join(REPO_ROOT, 'test', '.venv', 'bin', 'python');
const TOPIC = 'kip848-orders';
const PARTITIONS = 24;
// Short timeouts so the test runs in a minute (Kafka's bounds are lowered to allow them).
const CONFIG = {
  'group.consumer.min.heartbeat.interval.ms': 500,
  'group.consumer.heartbeat.interval.ms': 1000,
  'group.consumer.min.session.timeout.ms': 6000,
  'group.consumer.session.timeout.ms': 10000,
  'num.partitions': 1,
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

function wrapLines(name: string, onLine: (cb: (line: string) => void) => void, stop: () => void, exited: Promise<unknown>): Member {
  const events: Event[] = [];
  const waiters = new Set<() => void>();
  onLine((line) => {
    try {
      events.push(JSON.parse(line) as Event);
    } catch {
      return;
    }
    for (const w of [...waiters]) w();
  });
  return {
    name,
    events,
    stop,
    exited,
    waitFor(pred, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: timed out; last events ${JSON.stringify(events.slice(-3)).slice(0, 500)}`));
        }, timeoutMs);
        const check = () => {
          if (events.some(pred)) {
            clearTimeout(t);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

async function javaMember(name: string, bootstrap: string, group: string, sub: { topic?: string; pattern?: string }): Promise<Member> {
  const args = ['--bootstrap', bootstrap, '--group', group, '--client-id', name, '--group-protocol', 'consumer'];
  if (sub.topic) args.push('--topic', sub.topic);
  if (sub.pattern) args.push('--pattern', sub.pattern);
  const p = await spawnJava('GroupMember', args, { timeoutMs: 5 * 60_000 });
  let seen = 0;
  return wrapLines(
    name,
    (cb) => {
      const pump = () => {
        for (; seen < p.lines.length; seen++) cb(p.lines[seen]!);
      };
      const t = setInterval(pump, 50);
      void p.exited.then(() => {
        pump();
        clearInterval(t);
      });
    },
    () => p.send('stop'),
    p.exited,
  );
}

function ckMember(name: string, bootstrap: string, group: string, sub: { topic?: string; pattern?: string }): Member {
  const proc = spawn(VENV_PYTHON, [join(REPO_ROOT, 'test', 'compat', 'py', 'ck_consumer_member.py'), JSON.stringify({ bootstrap, group, client_id: name, run_s: 300, ...sub })], { stdio: ['pipe', 'pipe', 'pipe'] });
  proc.stdin.on('error', () => undefined);
  const exited = new Promise((r) => proc.on('close', r));
  return wrapLines(name, (cb) => createInterface({ input: proc.stdout }).on('line', cb), () => proc.stdin.write('stop\n'), exited);
}

/** A franz-go member with kgo.ServerSideBalancer (test/compat/clients/go/member848.go). */
function franzMember(name: string, bootstrap: string, group: string, sub: { topic?: string }): Member {
  const proc = spawn(GO_BINARY, ['franz-member', JSON.stringify({ bootstrap, group, client_id: name, ...sub })], { stdio: ['pipe', 'pipe', 'pipe'] });
  proc.stdin.on('error', () => undefined);
  const exited = new Promise((r) => proc.on('close', r));
  return wrapLines(name, (cb) => createInterface({ input: proc.stdout }).on('line', cb), () => proc.stdin.write('stop\n'), exited);
}

const withGo = goCommand() !== null;

/** Per partition, the members' ownership intervals from their callbacks; returns overlaps found. */
function overlaps(members: Member[]): string[] {
  const intervals = new Map<string, Array<{ member: string; from: number; to: number }>>();
  for (const m of members) {
    const open = new Map<string, number>();
    const end = m.events.filter((e) => e.ts !== undefined).reduce((x, e) => Math.max(x, e.ts!), 0);
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
    for (const p of [...open.keys()]) close(p, Number.MAX_SAFE_INTEGER); // still owned at the end
    void end;
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
      const values = Array.from({ length: 10 }, () => `${tag}-${n++}`);
      await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ value, partition: (n + i) % PARTITIONS })) });
      acked.push(...values);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
}

async function stopProducing(): Promise<void> {
  producing = false;
  await produceLoop;
}

const enabled = javaAvailable();

describe.skipIf(!enabled)('consumer group protocol with the Java consumer and confluent-kafka-python', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ keepData: true, config: CONFIG });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, clientId: 'kip848-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    if (withGo) await ensureGoBuilt();
  }, 600_000);
  afterAll(async () => {
    producing = false;
    await producer?.disconnect().catch(() => undefined);
    await broker?.cleanup();
  });

  it('members join and leave one by one under produce: one owner per partition at a time, nothing acknowledged lost; a classic group coexists; the group resumes after a restart', async () => {
    const b = broker.bootstrap;
    const group = 'kip848-mixed';
    // A classic kafkajs group on the same topic, at the same time.
    const classic = kafka.consumer({ groupId: 'kip848-classic', sessionTimeout: 10000, heartbeatInterval: 1000 });
    const classicSeen = new Set<string>();
    await classic.connect();
    await classic.subscribe({ topic: TOPIC, fromBeginning: true });
    await classic.run({ eachMessage: async ({ message }) => void classicSeen.add(message.value!.toString()) });

    startProducing('a');
    const members: Member[] = [];
    const makers: Array<() => Promise<Member> | Member> = [
      () => javaMember('java-1', b, group, { topic: TOPIC }),
      () => ckMember('ck-1', b, group, { topic: TOPIC }),
      () => javaMember('java-2', b, group, { topic: TOPIC }),
      () => ckMember('ck-2', b, group, { topic: TOPIC }),
      ...(withGo ? [() => franzMember('franz-1', b, group, { topic: TOPIC }), () => franzMember('franz-2', b, group, { topic: TOPIC })] : []),
    ];
    try {
      for (const make of makers) {
        const m = await make();
        members.push(m);
        await m.waitFor((e) => e.event === 'assigned', 90_000);
        await settled(members, PARTITIONS);
      }
      // Leave one by one, the last one stays.
      for (const [i, m] of members.slice(0, -1).entries()) {
        m.stop();
        await m.exited;
        await settled(members.slice(i + 1), PARTITIONS);
      }
      await stopProducing();
      const last = members[members.length - 1]!;
      const want = new Set(acked);
      const deadline = Date.now() + 60_000;
      // (consumed() once per round: the broker runs in this process, and a blocked event loop would time its sessions out)
      const allSeen = () => {
        const seen = consumed(members);
        return [...want].every((v) => seen.has(v));
      };
      while (Date.now() < deadline && !allSeen()) await new Promise((r) => setTimeout(r, 500));
      last.stop();
      await last.exited;
    } finally {
      producing = false;
      for (const m of members) m.stop();
    }
    const seen = consumed(members);
    const missing = acked.filter((v) => !seen.has(v));
    if (missing.length > 0) {
      const c = await RawClient.connect('127.0.0.1', broker.port);
      console.log('kip848 diagnostics', JSON.stringify(await c.request(69, 1, { groupIds: [group], includeAuthorizedOperations: false })));
      console.log(JSON.stringify(await c.request(9, 9, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: false })));
      c.close();
      for (const m of members) console.log(m.name, JSON.stringify(m.events.filter((e) => e.event !== 'records')).slice(0, 3000), JSON.stringify(m.events.filter((e) => e.event === 'records').slice(-3)).slice(0, 1500));
    }
    expect(missing.slice(0, 10), `${missing.length} of ${acked.length} acknowledged records never consumed`).toEqual([]);
    expect(overlaps(members)).toEqual([]);
    for (const m of members) expect(m.events.filter((e) => e.event === 'commit_failed' || e.event === 'lost' || e.event === 'fetch_error')).toEqual([]);
    // Every member got partitions at some point.
    for (const m of members) expect(m.events.some((e) => e.event === 'assigned'), m.name).toBe(true);
    const dupes = [...seen.values()].filter((n) => n > 1).length;
    console.log(`kip848: ${acked.length} records, ${dupes} consumed twice (at-least-once), members ${members.map((m) => m.name).join(', ')}`);

    // The classic group read everything too.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && acked.some((v) => !classicSeen.has(v))) await new Promise((r) => setTimeout(r, 300));
    expect(acked.filter((v) => !classicSeen.has(v)).length).toBe(0);
    await classic.disconnect();

    // Upgrade by restart: the classic group's members are gone; a member with the consumer
    // protocol takes the group over (it becomes a consumer group) and resumes from its offsets.
    const upgraded = ckMember('ck-upgraded', b, 'kip848-classic', { topic: TOPIC });
    try {
      await upgraded.waitFor((e) => e.event === 'assigned', 60_000);
      await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'after-upgrade', partition: 3 }] });
      await upgraded.waitFor((e) => e.event === 'records' && e.values!.includes('after-upgrade'), 60_000);
      expect([...consumed([upgraded]).keys()]).toEqual(['after-upgrade']);
    } finally {
      upgraded.stop();
      await upgraded.exited;
    }

    // Restart: the group resumes from its committed offsets (nothing old read again).
    await producer.disconnect();
    const port = broker.port;
    await broker.stop();
    broker = await startTestBroker({ dataDir: broker.dataDir, port, keepData: true, config: CONFIG });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const before = acked.length;
    startProducing('b');
    await new Promise((r) => setTimeout(r, 1000));
    await stopProducing();
    const after = ckMember('ck-after', b, group, { topic: TOPIC });
    try {
      const fresh = new Set(acked.slice(before));
      const deadline2 = Date.now() + 60_000;
      const allFresh = () => {
        const seen = consumed([after]);
        return [...fresh].every((v) => seen.has(v));
      };
      while (Date.now() < deadline2 && !allFresh()) await new Promise((r) => setTimeout(r, 500));
      const got = consumed([after]);
      expect([...fresh].filter((v) => !got.has(v))).toEqual([]);
      expect([...got.keys()].filter((v) => v.startsWith('a-'))).toEqual([]);
    } finally {
      after.stop();
      await after.exited;
    }
  }, 300_000);

  it('a regex subscription (librdkafka and Java) picks up a topic created later', async () => {
    const b = broker.bootstrap;
    const ck = ckMember('ck-regex', b, 'kip848-regex-ck', { pattern: '^kip848-rx-.*' });
    const java = await javaMember('java-regex', b, 'kip848-regex-java', { pattern: 'kip848-rx-.*' });
    try {
      await ck.waitFor((e) => e.event === 'ready');
      await java.waitFor((e) => e.event === 'ready');
      await new Promise((r) => setTimeout(r, 3000));
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'kip848-rx-later', numPartitions: 2 }] });
      await admin.disconnect();
      await producer.send({ topic: 'kip848-rx-later', acks: -1, messages: [{ value: 'rx-1', partition: 0 }, { value: 'rx-2', partition: 1 }] });
      // The two partitions may be assigned, and their records polled, a poll apart: wait for both.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (consumed([ck]).size < 2 || consumed([java]).size < 2)) await new Promise((r) => setTimeout(r, 200));
      expect([...consumed([ck]).keys()].sort()).toEqual(['rx-1', 'rx-2']);
      expect([...consumed([java]).keys()].sort()).toEqual(['rx-1', 'rx-2']);
    } finally {
      ck.stop();
      java.stop();
      await Promise.all([ck.exited, java.exited]);
    }
  }, 180_000);
});
