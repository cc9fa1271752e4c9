/**
 * Issue 5 acceptance, consumer groups with real clients: kafkajs, confluent-kafka-python
 * (librdkafka), kafka-python and `kcat -G`, each member its own process (so it can be killed).
 *
 * For every client: two members split 6 partitions; a third joins and the partitions rebalance;
 * one member is killed with SIGKILL (no LeaveGroup) and its partitions move to the others after
 * the session timeout. Records are produced throughout; members print each record and then
 * commit its offset synchronously. No record may be lost, and none may be consumed twice — except
 * the killed member's last record of a partition, which it may have printed but not committed.
 * (kcat commits automatically every few seconds, so for it only "no loss" is checked.)
 *
 * Plus: a group mixing kafkajs and librdkafka members with a common assignor (roundrobin).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { DEBIAN_PYTHON } from '../helpers/clients.js';

type Kind = 'kafkajs' | 'kcat' | 'ck' | 'kp';

interface Rec {
  member: string;
  p: number;
  o: number;
  v: string;
  committed: boolean;
}

const SESSION_MS = 6000;
const HEARTBEAT_MS = 1000;

/** A kafkajs member as a child process (same JSON-lines protocol as py/group_member.py). */
const KAFKAJS_MEMBER = `
import { Kafka, logLevel, PartitionAssigners } from 'kafkajs';
const a = JSON.parse(process.argv[1]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const kafka = new Kafka({ brokers: [a.bootstrap], clientId: a.client_id, logLevel: logLevel.NOTHING });
const partitionAssigners = a.strategy === 'roundrobin'
  ? [(cfg) => ({ ...PartitionAssigners.roundRobin(cfg), name: 'roundrobin' })]
  : undefined;
const c = kafka.consumer({ groupId: a.group, sessionTimeout: a.session_ms, heartbeatInterval: a.heartbeat_ms, rebalanceTimeout: 20000, maxWaitTimeInMs: 1000, partitionAssigners });
c.on(c.events.GROUP_JOIN, (e) => out({ event: 'assigned', partitions: (e.payload.memberAssignment[a.topic] ?? []).slice().sort((x, y) => x - y) }));
process.on('SIGTERM', async () => { await c.disconnect(); out({ event: 'closed' }); process.exit(0); });
await c.connect();
await c.subscribe({ topic: a.topic, fromBeginning: true });
await c.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    const o = Number(message.offset);
    out({ event: 'record', p: partition, o, v: message.value.toString() });
    try {
      await c.commitOffsets([{ topic: a.topic, partition, offset: String(o + 1) }]);
    } catch (e) {
      out({ event: 'commit_failed', p: partition, o, error: e.type ?? e.message });
    }
  },
});
out({ event: 'ready' });
`;

class Member {
  assigned: number[] = [];
  readonly records: Rec[] = [];
  readonly log: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly kind: Kind,
    readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
    createInterface({ input: proc.stdout! }).on('line', (line) => this.onStdout(line));
    createInterface({ input: proc.stderr! }).on('line', (line) => this.onStderr(line));
  }

  private onStdout(line: string): void {
    this.log.push(line);
    if (this.kind === 'kcat') {
      const m = /^(\d+) (\d+) (.*)$/.exec(line);
      if (m) this.records.push({ member: this.name, p: Number(m[1]), o: Number(m[2]), v: m[3]!, committed: true });
      return;
    }
    let e: { event: string; partitions?: number[]; p?: number; o?: number; v?: string };
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    if (e.event === 'assigned') this.assigned = e.partitions!;
    else if (e.event === 'revoked') this.assigned = [];
    else if (e.event === 'record') this.records.push({ member: this.name, p: e.p!, o: e.o!, v: e.v!, committed: true });
    else if (e.event === 'commit_failed') {
      const r = this.records.findLast((x) => x.p === e.p && x.o === e.o);
      if (r) r.committed = false;
    }
  }

  private onStderr(line: string): void {
    this.log.push(`stderr: ${line}`);
    if (this.kind !== 'kcat') return;
    // % Group g rebalanced (memberid ...): assigned: t [0], t [3]   |   ...: revoked: ...
    const m = /rebalanced \(memberid [^)]*\): (assigned|revoked): ?(.*)$/.exec(line);
    if (!m) return;
    if (m[1] === 'revoked') this.assigned = [];
    else this.assigned = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort((a, b) => a - b);
  }

  kill(): Promise<number | null> {
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(t);
  }
}

interface MemberOptions {
  bootstrap: string;
  group: string;
  topic: string;
  strategy?: 'range' | 'roundrobin';
}

function spawnMember(kind: Kind, name: string, o: MemberOptions): Member {
  const args = { bootstrap: o.bootstrap, group: o.group, topic: o.topic, client_id: name, session_ms: SESSION_MS, heartbeat_ms: HEARTBEAT_MS, strategy: o.strategy ?? 'range', run_s: 180 };
  let proc: ChildProcess;
  switch (kind) {
    case 'kafkajs':
      proc = spawn(process.execPath, ['--input-type=module', '-e', KAFKAJS_MEMBER, JSON.stringify(args)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      break;
    case 'kcat':
      proc = spawn(
        'kcat',
        ['-b', o.bootstrap, '-G', o.group, o.topic, '-u', '-o', 'beginning', '-f', '%p %o %s\\n', '-X', `client.id=${name}`, '-X', `session.timeout.ms=${SESSION_MS}`, '-X', `heartbeat.interval.ms=${HEARTBEAT_MS}`, '-X', `partition.assignment.strategy=${args.strategy}`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      break;
    default:
      proc = spawn(DEBIAN_PYTHON, [join(REPO_ROOT, 'test', 'compat', 'py', 'group_member.py'), JSON.stringify({ ...args, client: kind })], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  return new Member(name, kind, proc);
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, members: Member[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      const detail = members.map((m) => `${m.name} assigned=${JSON.stringify(m.assigned)} records=${m.records.length}\n  ${m.log.slice(-8).join('\n  ')}`).join('\n');
      throw new Error(`timed out waiting for ${what}\n${detail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every member holds `each` partitions, together all of them, none twice. */
function balanced(members: Member[], each: number[], partitions = 6): boolean {
  const all = members.flatMap((m) => m.assigned);
  const counts = members.map((m) => m.assigned.length).sort();
  return all.length === partitions && new Set(all).size === partitions && JSON.stringify(counts) === JSON.stringify([...each].sort());
}

let broker: TestBroker;
let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  producer = kafka.producer();
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await broker?.cleanup();
});

async function createTopic(topic: string, partitions = 6): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

/** Produces `n` uniquely valued records spread over the partitions; returns the values. */
async function produce(topic: string, tag: string, n: number): Promise<string[]> {
  const values = Array.from({ length: n }, (_, i) => `${tag}-${i}`);
  await producer.send({ topic, messages: values.map((v, i) => ({ key: `${tag}:${i}`, value: v })) });
  return values;
}

/** The whole scenario for one client kind. */
async function splitRebalanceKill(kind: Kind, opts: { exact: boolean }): Promise<void> {
  const topic = `groups-${kind}`;
  const group = `group-${kind}`;
  await createTopic(topic);
  const o = { bootstrap: broker.bootstrap, group, topic };
  const produced: string[] = [];
  produced.push(...(await produce(topic, 'a', 60)));
  const a = spawnMember(kind, `${kind}-a`, o);
  const b = spawnMember(kind, `${kind}-b`, o);
  const members = [a, b];
  let c: Member | null = null;
  try {
    await waitFor('two members to split 6 partitions 3/3', () => balanced([a, b], [3, 3]), 45_000, members);
    produced.push(...(await produce(topic, 'b', 60)));
    c = spawnMember(kind, `${kind}-c`, o);
    members.push(c);
    await waitFor('a third member to get 2 partitions each', () => balanced([a, b, c!], [2, 2, 2]), 45_000, members);
    produced.push(...(await produce(topic, 'c', 60)));
    // Let b consume some of it before it dies.
    await waitFor('b to consume', () => b.records.some((r) => r.v.startsWith('c-')), 20_000, members);
    await b.kill();
    const killedAt = Date.now();
    await waitFor("b's partitions to move after its session timeout", () => balanced([a, c!], [3, 3]), 45_000, members);
    const moveMs = Date.now() - killedAt;
    expect(moveMs).toBeGreaterThanOrEqual(SESSION_MS - 1500);
    produced.push(...(await produce(topic, 'd', 60)));
    const consumed = () => new Set(members.flatMap((m) => m.records.filter((r) => r.committed).map((r) => r.v)));
    await waitFor('every record to be consumed', () => produced.every((v) => consumed().has(v)), 45_000, members);

    const all = members.flatMap((m) => m.records.filter((r) => r.committed));
    const seen = new Map<string, Rec[]>();
    for (const r of all) seen.set(r.v, [...(seen.get(r.v) ?? []), r]);
    expect(produced.filter((v) => !seen.has(v))).toEqual([]);
    if (opts.exact) {
      // The killed member's last record per partition may have been printed but not committed.
      const lastOfB = new Map<number, number>();
      for (const r of b.records) lastOfB.set(r.p, Math.max(lastOfB.get(r.p) ?? -1, r.o));
      const dups = [...seen.entries()].filter(([, rs]) => rs.length > 1 && !rs.some((r) => r.member === b.name && lastOfB.get(r.p) === r.o));
      expect(dups.map(([v, rs]) => `${v}: ${rs.map((r) => `${r.member}@${r.p}/${r.o}`).join(', ')}`)).toEqual([]);
    }
  } finally {
    await Promise.all(members.map((m) => m.stop()));
  }
}

describe('consumer groups: split, rebalance, kill', () => {
  it('kafkajs', () => splitRebalanceKill('kafkajs', { exact: true }), 180_000);
  it('confluent-kafka-python (librdkafka)', () => splitRebalanceKill('ck', { exact: true }), 180_000);
  it('kafka-python', () => splitRebalanceKill('kp', { exact: true }), 180_000);
  it('kcat -G', () => splitRebalanceKill('kcat', { exact: false }), 180_000);
});

describe('mixed clients', () => {
  it('kafkajs and librdkafka members share a group with a common assignor (roundrobin)', async () => {
    const topic = 'groups-mixed';
    await createTopic(topic);
    const values = await produce(topic, 'm', 120);
    const o = { bootstrap: broker.bootstrap, group: 'group-mixed', topic, strategy: 'roundrobin' as const };
    const js = spawnMember('kafkajs', 'mixed-kafkajs', o);
    const ck = spawnMember('ck', 'mixed-ck', o);
    const kc = spawnMember('kcat', 'mixed-kcat', o);
    const members = [js, ck, kc];
    try {
      await waitFor('three mixed members to share 6 partitions 2/2/2', () => balanced(members, [2, 2, 2]), 60_000, members);
      const consumed = () => new Set(members.flatMap((m) => m.records.filter((r) => r.committed).map((r) => r.v)));
      await waitFor('every record to be consumed', () => values.every((v) => consumed().has(v)), 30_000, members);
      const admin = kafka.admin();
      await admin.connect();
      const d = (await admin.describeGroups(['group-mixed'])).groups[0]!;
      await admin.disconnect();
      expect(d.state).toBe('Stable');
      expect(d.protocol).toBe('roundrobin');
      expect(d.members.map((m) => m.clientId).sort()).toEqual(['mixed-ck', 'mixed-kafkajs', 'mixed-kcat']);
    } finally {
      await Promise.all(members.map((m) => m.stop()));
    }
  }, 120_000);
});
