/**
 * The Rust rdkafka crate (0.33, linked dynamically against Debian 12's librdkafka 2.0.2 through
 * its dynamic-linking feature) runs the scenario of test/compat/clients/scenario.ts: AdminClient
 * create / delete, metadata and the group list, a BaseProducer at acks=all, a BaseConsumer in a
 * group with manual commits and a resumed member. With its defaults and idempotent with zstd.
 * The program is test/compat/clients/rust (Cargo.lock); setup.sh builds it into
 * test/.work/compat-rust, and so does this test when cargo is there. It skips, saying why, without
 * cargo or without librdkafka-dev.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { checkScenario, ensureRustBuilt, runRustScenario, rustMissing, type ScenarioOptions } from './clients/scenario.js';

const missing = rustMissing();
let broker: TestBroker;
beforeAll(async () => {
  if (missing !== null) return;
  broker = await startTestBroker();
  await ensureRustBuilt();
}, 900_000);
afterAll(async () => {
  await broker?.cleanup();
});

const COUNT = 500;
const RESUME = 50;
const base = (name: string): ScenarioOptions => ({ bootstrap: broker.bootstrap, topic: `rs-${name}`, group: `rs-${name}-g`, partitions: 3, count: COUNT, resume: RESUME });
const check = { partitions: 3, count: COUNT, resume: RESUME };

describe.skipIf(missing !== null)(`rdkafka (Rust)${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('runs the scenario with its defaults', async () => {
    const r = await runRustScenario(base('default'));
    expect(r.version).toMatch(/librdkafka 2\./);
    expect(checkScenario(r, check)).toEqual([]);
  }, 150_000);

  it('runs it idempotent with zstd', async () => {
    const r = await runRustScenario({ ...base('idem'), producer: { 'enable.idempotence': 'true', 'compression.type': 'zstd' } });
    expect(checkScenario(r, check)).toEqual([]);
  }, 150_000);
});
