/**
 * Go clients: franz-go (kgo + kadm; newest protocol versions: JoinGroup v9, Produce v11, Fetch
 * v12 with sessions, OffsetFetch v9 with require_stable; idempotent and snappy by default; the
 * cooperative-sticky balancer) and IBM/sarama, whose protocol versions follow Config.Version
 * rather than what the broker advertises: its own default, 3.6 (idempotent), 2.1 (zstd) and 1.0
 * (sarama's default before 1.40; DescribeConfigs v0 from ClusterAdmin.ListTopics, Produce v5,
 * Fetch v6, JoinGroup v2). Each runs the scenario of test/compat/clients/scenario.ts; franz-go
 * also runs a group whose members join and leave while records flow.
 * The programs are test/compat/clients/go (a Go module; .ci/run downloads its modules).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { checkScenario, ensureGoBuilt, goCommand, runGoScenario, type ScenarioOptions } from './clients/scenario.js';

const go = goCommand();
let broker: TestBroker;
beforeAll(async () => {
  if (go === null) return;
  // The scenario's groups form and re-form (a new member resumes from the commit): nothing here
  // is about the initial rebalance delay, which would add 3 s to every join of an empty group.
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  await ensureGoBuilt();
}, 600_000);
afterAll(async () => {
  await broker?.cleanup();
});

const COUNT = 500;
const RESUME = 50;
const base = (name: string): ScenarioOptions => ({ bootstrap: broker.bootstrap, topic: `go-${name}`, group: `go-${name}-g`, partitions: 3, count: COUNT, resume: RESUME });
const check = { partitions: 3, count: COUNT, resume: RESUME };

describe.skipIf(go === null)(`franz-go${go === null ? ' (skipped: no go toolchain)' : ''}`, () => {
  it('runs the scenario with its defaults (idempotent, snappy, cooperative-sticky)', async () => {
    const r = await runGoScenario('franz', base('franz'));
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('runs it with zstd', async () => {
    const r = await runGoScenario('franz', { ...base('franz-zstd'), compression: 'zstd' });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('keeps every record delivered while members join and leave a cooperative group', async () => {
    const count = 3000;
    const r = await runGoScenario('franz-group', { bootstrap: broker.bootstrap, topic: 'go-franz-group', group: 'go-franz-group-g', partitions: 6, count, timeout: 60 });
    expect(r.produceErrors).toEqual([]);
    expect(r.produced).toHaveLength(count);
    expect(r.consumeErrors).toEqual([]);
    expect(new Set(r.consumed.map((c) => c[1])).size).toBe(count);
    // Committed offsets reach the end of every partition (members commit on leaving).
    const ends: Record<string, number> = {};
    for (const [, p] of r.produced) ends[String(p)] = (ends[String(p)] ?? 0) + 1;
    expect(r.committed).toEqual(ends);
    // Every member got partitions at some point: the rebalances happened.
    expect(Object.keys(r.admin.assignments).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(r.admin.delete).toBe('ok');
  }, 150_000);
});

describe.skipIf(go === null)(`sarama${go === null ? ' (skipped: no go toolchain)' : ''}`, () => {
  it("runs the scenario with sarama's default Config.Version", async () => {
    const r = await runGoScenario('sarama', { ...base('sarama-default'), version: 'default' });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('runs it as Kafka 3.6, idempotent with lz4', async () => {
    const r = await runGoScenario('sarama', { ...base('sarama-36'), version: '3.6.0', idempotent: true, compression: 'lz4' });
    expect(r.version).toBe('protocol 3.6.0');
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('runs it as Kafka 2.1 with zstd', async () => {
    const r = await runGoScenario('sarama', { ...base('sarama-21'), version: '2.1.0', compression: 'zstd' });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('runs it as Kafka 1.0 (old protocol versions; DescribeConfigs v0 when listing topics)', async () => {
    const r = await runGoScenario('sarama', { ...base('sarama-10'), version: '1.0.0', compression: 'gzip' });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);
});
