/**
 * A seeded mutation fuzzer for the broker's request path (issue 14).
 *
 * Corpus: the request frames real clients sent (test/golden, see its README): kafkajs, librdkafka,
 * kafka-python and Java, every API they use. Each mutant is one to four stacked mutations of a
 * corpus frame: bit flips, bytes/int16/int32 replaced by boundary values (0, -1, 0x7f.., 0x80..),
 * small counts blown up (int32 and varint), varints made over-long, truncation, a splice of two
 * frames, duplicated/deleted/inserted regions, and the version swapped. Most mutants get a
 * correct 4-byte size prefix (so they reach the decoders and handlers); some keep a wrong one.
 *
 * A round sends a batch of mutants on each of several connections at once, then waits for
 * answers or closes. After every round the broker child must still be alive and the ApiVersions
 * canary must answer; the broker's RSS must stay under a bound throughout, and its data
 * directory must not explode (runaway topic/partition creation). Error-level broker logs are
 * collected as findings (a handler threw: UNKNOWN_SERVER_ERROR), not failures.
 *
 * On failure the mutants of the last rounds are saved to test/.work/fuzz-crash-<seed>.bin (with a
 * .json description beside it) and the command to replay them is printed. Replaying sends the
 * saved mutants one connection each, against a fresh broker, and names the first one the broker
 * does not survive.
 *
 *   npm run fuzz                                   # 300 s, random seed
 *   npm run fuzz -- --seconds 1800 --seed 42
 *   npm run fuzz -- --replay test/.work/fuzz-crash-42.bin
 *
 * This file is the command line and the entry point; the pieces are in fuzz/: corpus.ts, rng.ts,
 * mutators.ts (byte-level mutations and mutate()), field-mutation.ts (structure-aware),
 * send.ts, run.ts (runFuzz), crash-files.ts (saving and replaying).
 */
import { pathToFileURL } from 'node:url';
import { replay } from './fuzz/crash-files.js';
import { runFuzz } from './fuzz/run.js';

export { loadCorpus, syntheticCorpus, type CorpusFrame } from './fuzz/corpus.js';
export { Rng } from './fuzz/rng.js';
export { mutate, type Mutant } from './fuzz/mutators.js';
export { sendOnOneConnection } from './fuzz/send.js';
export { runFuzz, type FuzzOptions, type FuzzResult } from './fuzz/run.js';
export { readCrash, replay } from './fuzz/crash-files.js';

// Command line: npx tsx test/hostile/fuzz.ts [--seconds N] [--seed N] [--apis 76,78] [--replay FILE]

export function fuzzSeed(): number {
  const env = process.env.RUNNEL_FUZZ_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : (Math.random() * 0x100000000) >>> 0;
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const replayFile = arg('replay');
  if (replayFile) return (await replay(replayFile)) === null ? 0 : 1;
  const seed = arg('seed') !== undefined ? Number(arg('seed')) >>> 0 : fuzzSeed();
  const seconds = Number(arg('seconds') ?? process.env.RUNNEL_FUZZ_SECONDS ?? 300);
  const apiKeys = arg('apis')?.split(',').map(Number);
  const result = await runFuzz({ seed, seconds, apiKeys });
  return result.failure === null ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
