/**
 * @confluentinc/kafka-javascript 1.10 (librdkafka 2.15 under a KafkaJS-compatible API, Confluent's
 * successor to kafkajs) runs the scenario of test/compat/clients/scenario.ts with its defaults and
 * idempotent with zstd. It is a native module: .ci/run builds it (CKJS_LINKING=dynamic, Debian's
 * -dev libraries, about 90 s, cached) into test/compat/clients/js/node_modules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { CKJS_DIR, checkScenario, ckjsAvailable, runCkjsScenario, type ScenarioOptions } from './clients/scenario.js';

const available = ckjsAvailable();
let broker: TestBroker;
beforeAll(async () => {
  if (available) broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.cleanup();
});

const COUNT = 500;
const RESUME = 50;
const base = (name: string): ScenarioOptions => ({ bootstrap: broker.bootstrap, topic: `js-${name}`, group: `js-${name}-g`, partitions: 3, count: COUNT, resume: RESUME });
const check = { partitions: 3, count: COUNT, resume: RESUME, skipAdmin: ['nodes'] };

describe.skipIf(!available)(`@confluentinc/kafka-javascript${available ? '' : ` (skipped: not built in ${CKJS_DIR}/node_modules; .ci/run builds it)`}`, () => {
  it('runs the scenario with its defaults (KafkaJS API, acks=-1)', async () => {
    const r = await runCkjsScenario(base('ckjs-default'));
    expect(r.version).toMatch(/librdkafka 2\./);
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('runs it idempotent with zstd', async () => {
    const r = await runCkjsScenario({ ...base('ckjs-idem'), producer: { idempotent: true, compression: 'zstd' } });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);
});
