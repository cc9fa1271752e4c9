/**
 * Apache Kafka's Java clients 3.9 (test/java/kafka3), the line most Java applications still run
 * (Spring Boot 3.x ships it), besides the 4.4 clients of java.test.ts: the scenario of
 * test/compat/clients/scenario.ts with the 3.x AdminClient, the producer's defaults (idempotent,
 * acks=all) and a consumer group ([range, cooperative-sticky] by default) that commits, then a new
 * member resuming from the commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { javaAvailable } from '../helpers/java.js';
import { ensureJava3Built, runJava3Ok } from './clients/java3.js';
import { checkScenario, type ConsumedRecord, type ScenarioResult } from './clients/scenario.js';

const java = javaAvailable();
let broker: TestBroker;
beforeAll(async () => {
  if (!java) return;
  await ensureJava3Built();
  broker = await startTestBroker();
}, 600_000);
afterAll(async () => {
  await broker?.cleanup();
});

const COUNT = 500;
const RESUME = 50;

/** Consume's records [topic, partition, offset, key, value, {h: v}] as the scenario's. */
function records(json: any): ConsumedRecord[] {
  return (json.records as [string, number, number, string | null, string, Record<string, string>][]).map(([, p, off, key, value, hs]) => [key, value, Object.entries(hs), p, off]);
}

describe.skipIf(!java)(`Java clients 3.9${java ? '' : ' (skipped: no java/mvn)'}`, () => {
  it('run the scenario with their defaults (idempotent producer, acks=all)', async () => {
    const b = broker.bootstrap;
    const topic = 'java3-scenario';
    const group = 'java3-scenario-g';
    const admin = (op: string, ...args: string[]): Promise<any> => runJava3Ok('Admin3', [op, '--bootstrap', b, ...args]);
    const r: ScenarioResult = { client: 'kafka-clients', version: '3.9', admin: {}, produced: [], produceErrors: [], consumed: [], resumed: [], consumeErrors: [], committed: {} };

    r.admin.create = (await admin('create-topics', '--topic', topic, '--partitions', '3')).topics[topic];
    r.admin.partitions = (await admin('describe-topics', '--topic', topic)).topics[topic].partitions.length;
    r.admin.listed = (await admin('list-topics')).topics.includes(topic);
    r.admin.nodes = (await admin('describe-cluster')).nodes;

    const produce = async (count: number, prefix: string): Promise<void> => {
      const p = await runJava3Ok('Produce', ['--bootstrap', b, '--topic', topic, '--count', String(count), '--key-pattern', 'k%d', '--value-pattern', `${prefix}%d`, '--headers', 'h=x%d', '--acks', 'all']);
      r.produceErrors.push(...p.errors);
      (p.offsets as [number, number][]).forEach(([part, off], i) => r.produced.push([`${prefix}${i}`, part, off]));
    };
    const consume = async (max: number): Promise<any> => {
      const c = await runJava3Ok('Consume', ['--bootstrap', b, '--topic', topic, '--group', group, '--from-beginning', '--max', String(max), '--commit', '--records', '--timeout-ms', '45000']);
      if (c.timedOut) r.consumeErrors.push(`timed out after ${c.count} records`);
      r.committed = Object.fromEntries(Object.entries(c.committed as Record<string, number>).map(([tp, off]) => [tp.slice(topic.length + 1), off]));
      return c;
    };
    await produce(COUNT, 'v');
    r.consumed = records(await consume(COUNT));
    await produce(RESUME, 'w');
    r.resumed = records(await consume(RESUME));

    r.admin.listedGroup = group in (await admin('list-groups')).groups;
    const described = (await admin('describe-groups', '--group', group)).groups[group];
    r.admin.describedGroup = { state: described.state, members: described.members.length };
    const offsets = (await admin('list-group-offsets', '--group', group)).offsets as Record<string, number>;
    r.admin.groupOffsets = Object.fromEntries(Object.entries(offsets).map(([tp, off]) => [tp.slice(topic.length + 1), off]));
    r.admin.delete = (await admin('delete-topics', '--topic', topic)).topics[topic];
    r.admin.deleted = !(await admin('list-topics')).topics.includes(topic);

    const problems = checkScenario(r, {
      partitions: 3,
      count: COUNT,
      resume: RESUME,
      keyOf: (v) => `k${v.slice(1)}`,
      headerOf: (v) => [['h', `x${v.slice(1)}`]],
    });
    expect(problems).toEqual([]);
  }, 240_000);
});
