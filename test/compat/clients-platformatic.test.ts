/**
 * @platformatic/kafka 1.35 (the pure-TypeScript client many kafkajs users move to; 1.35 is its
 * newest release for Node 20) runs the scenario of test/compat/clients/scenario.ts: admin, round
 * trip with keys and headers at acks=-1, a consumer group with manual commits and a resumed
 * member, the group and its offsets described, the topic deleted. Once with its defaults, once
 * idempotent with lz4. Installed by test/compat/clients/setup.sh (`npm ci` in
 * test/compat/clients/platformatic, its own node_modules).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { checkScenario, platformaticMissing, runPlatformaticScenario, type ScenarioOptions } from './clients/scenario.js';

const missing = platformaticMissing();
let broker: TestBroker;
beforeAll(async () => {
  if (missing === null) broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.cleanup();
});

const COUNT = 500;
const RESUME = 50;
const base = (name: string): ScenarioOptions => ({ bootstrap: broker.bootstrap, topic: `pk-${name}`, group: `pk-${name}-g`, partitions: 3, count: COUNT, resume: RESUME });
const check = { partitions: 3, count: COUNT, resume: RESUME };

describe.skipIf(missing !== null)(`@platformatic/kafka${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('runs the scenario with its defaults (acks=-1, murmur2 partitioner)', async () => {
    const r = await runPlatformaticScenario(base('default'));
    expect(r.version).toMatch(/^1\.35\./);
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);

  it('runs it idempotent with lz4 (its zstd needs the zlib of Node 22)', async () => {
    const r = await runPlatformaticScenario({ ...base('idem'), producer: { idempotent: true, compression: 'lz4' } });
    expect(checkScenario(r, check)).toEqual([]);
  }, 120_000);
});
