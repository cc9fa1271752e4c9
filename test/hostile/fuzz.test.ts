/**
 * Issue 14 acceptance: the seeded mutation fuzzer (fuzz.ts) runs for a bounded time in CI and never
 * kills, stalls or bloats the broker. RUNNEL_FUZZ_SECONDS (default 40) and RUNNEL_FUZZ_SEED
 * (default: random, printed) run it longer or again; `npm run fuzz` runs it outside vitest.
 */
import { expect, it } from 'vitest';
import { fuzzSeed, runFuzz } from './fuzz.js';

const seconds = Number(process.env.RUNNEL_FUZZ_SECONDS ?? 40);

it(`mutated client frames never kill the broker (${seconds} s)`, async () => {
  const seed = fuzzSeed();
  const result = await runFuzz({ seed, seconds });
  expect(result.failure, `seed ${seed}: ${result.failure}; replay: npx tsx test/hostile/fuzz.ts --replay ${result.crashFile}`).toBeNull();
  expect(result.mutants).toBeGreaterThan(0);
}, (seconds + 60) * 1000);
