/**
 * segmentio/kafka-go 0.4.51 runs the scenario of test/compat/clients/scenario.ts: admin through
 * kafka.Client, a kafka.Writer at RequireAll (Murmur2Balancer: kafka-go's default round robin
 * ignores keys), a kafka.Reader in a consumer group with FetchMessage + CommitMessages and a
 * resumed member, the group and its offsets described, the topic deleted. Uncompressed and with
 * snappy, zstd. The program is test/compat/clients/kafka-go (a Go module of its own; setup.sh
 * builds it, and so does this test when it is missing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { checkScenario, ensureKafkaGoBuilt, goCommand, runKafkaGoScenario, type ScenarioOptions } from './clients/scenario.js';

const go = goCommand();
let broker: TestBroker;
beforeAll(async () => {
  if (go === null) return;
  broker = await startTestBroker();
  await ensureKafkaGoBuilt();
}, 600_000);
afterAll(async () => {
  await broker?.cleanup();
});

const COUNT = 500;
const RESUME = 50;
const base = (name: string): ScenarioOptions => ({ bootstrap: broker.bootstrap, topic: `kgo-${name}`, group: `kgo-${name}-g`, partitions: 3, count: COUNT, resume: RESUME });
const check = { partitions: 3, count: COUNT, resume: RESUME };

describe.skipIf(go === null)(`segmentio/kafka-go${go === null ? ' (skipped: no go toolchain)' : ''}`, () => {
  it('runs the scenario uncompressed', async () => {
    const r = await runKafkaGoScenario(base('plain'));
    expect(checkScenario(r, check)).toEqual([]);
  }, 150_000);

  it('runs it with snappy', async () => {
    const r = await runKafkaGoScenario({ ...base('snappy'), compression: 'snappy' });
    expect(checkScenario(r, check)).toEqual([]);
  }, 150_000);

  it('runs it with zstd', async () => {
    const r = await runKafkaGoScenario({ ...base('zstd'), compression: 'zstd' });
    expect(checkScenario(r, check)).toEqual([]);
  }, 150_000);
});
