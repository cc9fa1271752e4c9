/**
 * Python clients from PyPI, newer than Debian's (test/compat/data-*.test.ts cover those):
 * confluent-kafka-python 2.16 (librdkafka 2.16: Metadata v12, Fetch v12, Produce v10, ListOffsets
 * v7, idempotence on request), kafka-python 3.0 (probes with ApiVersions v4, then speaks Metadata
 * v12, JoinGroup v7, OffsetCommit v8; idempotent by default), kafka-python 2.2 (guesses the
 * broker release from our ApiVersions and caps itself at Kafka 2.4 versions) and aiokafka 0.14
 * (ApiVersions v0, then Kafka 2.x-era versions: Metadata v5, Fetch v11, OffsetCommit v3).
 * Each runs the scenario of test/compat/clients/scenario.ts: admin, keyed records with headers at
 * acks=all, a consumer group that commits, a new member resuming from the commit, group admin,
 * topic deletion. .ci/run installs them into test/.venv.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { KAFKA_PYTHON_22, checkScenario, pythonModuleMissing, runPythonScenario, type ScenarioOptions } from './clients/scenario.js';

let broker: TestBroker;
beforeAll(async () => {
  // The scenario's groups form and re-form (a new member resumes from the commit): nothing here
  // is about the initial rebalance delay, which would add 3 s to every join of an empty group.
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
});
afterAll(async () => {
  await broker?.cleanup();
});

const COUNT = 500;
const RESUME = 50;
const base = (name: string): ScenarioOptions => ({ bootstrap: broker.bootstrap, topic: `py-${name}`, group: `py-${name}-g`, partitions: 3, count: COUNT, resume: RESUME });
const check = { partitions: 3, count: COUNT, resume: RESUME };

const ck = pythonModuleMissing('confluent_kafka');
describe.skipIf(ck !== null)(`confluent-kafka-python from PyPI${ck ? ` (skipped: ${ck})` : ''}`, () => {
  it('runs the scenario with its defaults (acks=all)', async () => {
    const r = await runPythonScenario('confluent_scenario.py', base('ck-default'));
    expect(r.version).toMatch(/librdkafka 2\.(1\d|[2-9]\d)/);
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('runs it idempotent with lz4, and a cooperative-sticky consumer', async () => {
    const r = await runPythonScenario('confluent_scenario.py', {
      ...base('ck-idem'),
      producer: { 'enable.idempotence': true, 'compression.type': 'lz4', 'linger.ms': 20 },
      consumer: { 'partition.assignment.strategy': 'cooperative-sticky' },
    });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);
});

const kp = pythonModuleMissing('kafka');
describe.skipIf(kp !== null)(`kafka-python from PyPI${kp ? ` (skipped: ${kp})` : ''}`, () => {
  it('newest (3.x) runs the scenario with its defaults (idempotent producer)', async () => {
    const r = await runPythonScenario('kafka_python_scenario.py', base('kp3-default'));
    expect(r.version).toMatch(/^3\./);
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('newest (3.x) runs it with zstd', async () => {
    const r = await runPythonScenario('kafka_python_scenario.py', { ...base('kp3-zstd'), producer: { compression_type: 'zstd' } });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  const kp22 = pythonModuleMissing('kafka', KAFKA_PYTHON_22);
  it.skipIf(kp22 !== null)(`2.2.x runs the scenario with its defaults${kp22 ? ` (skipped: ${kp22})` : ''}`, async () => {
    const r = await runPythonScenario('kafka_python_scenario.py', { ...base('kp22'), producer: { compression_type: 'gzip' } }, { extraPath: KAFKA_PYTHON_22 });
    expect(r.version).toMatch(/^2\.2\./);
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);
});

const aio = pythonModuleMissing('aiokafka');
describe.skipIf(aio !== null)(`aiokafka from PyPI${aio ? ` (skipped: ${aio})` : ''}`, () => {
  it('runs the scenario with its defaults', async () => {
    const r = await runPythonScenario('aiokafka_scenario.py', base('aio-default'));
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('runs it idempotent with snappy', async () => {
    const r = await runPythonScenario('aiokafka_scenario.py', { ...base('aio-idem'), producer: { enable_idempotence: true, compression_type: 'snappy' } });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);
});
