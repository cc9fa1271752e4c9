/**
 * A/B produce throughput of two Runnel builds side by side: W2's produce half (librdkafka's
 * rdbench, 6 partitions, linger.ms=10, batch.size 1 MB) with 100 B and 1 KiB records, uncompressed
 * and lz4/zstd, interleaved (which build goes first alternates per repetition of each case) and
 * repeated, reporting medians and the median of the per-repetition ratios. Written to measure the cost of the produce-time record walk (issue 14 item 8)
 * against the build before it on a shared, noisy machine; works for any two builds.
 *
 *   git archive <base> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/ && (cd /tmp/base && npm run build)
 *   npm run build && npx tsx bench/records/walk-ab.ts --baseline /tmp/base/dist/runnel.mjs [--repeats 6]
 *       [--codecs none,lz4,zstd] [--sizes 100,1024] [--acks 1] [--scale 0.25] [--baseline-flags none]
 *   npx tsx bench/records/walk-ab.ts --baseline kafka ...   (Apache Kafka 4.4 as the baseline)
 *
 * Both brokers run with the suite's Kafka-like settings and Runnel's default fsync policy. Metrics
 * per measurement: produce MB/s (payload bytes) and MB per broker CPU-second (less sensitive to
 * other load on the machine than wall-clock throughput).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNNEL_BIN, startKafka, startRunnel, type Broker } from '../suite/lib/brokers.js';
import { WORK } from '../suite/lib/common.js';
import { measured, topicName } from '../suite/lib/context.js';
import { rdbench, type RdProduce } from '../suite/lib/rdbench.js';

const args = process.argv.slice(2);
const val = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const baselineBin = val('baseline');
if (!baselineBin) throw new Error('--baseline <path to the other build\'s dist/runnel.mjs, or kafka> is required');
const repeats = Number(val('repeats') ?? 6);
const codecs = (val('codecs') ?? 'none,lz4,zstd').split(',');
const sizes = (val('sizes') ?? '100,1024').split(',').map(Number);
const acks = Number(val('acks') ?? 1);
const scale = Number(val('scale') ?? 0.25);
const PARTITIONS = 6;
/** W2's record counts (1,000,000 × 100 B, 200,000 × 1 KiB), scaled. */
const countFor = (size: number): number => Math.round((size >= 1024 ? 200_000 : 1_000_000) * scale);

interface Sample {
  build: 'baseline' | 'candidate';
  codec: string;
  size: number;
  rep: number;
  mbps: number;
  mbPerCpuSec: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const builds: Array<['baseline' | 'candidate', string]> = [
  ['baseline', baselineBin],
  ['candidate', val('candidate') ?? RUNNEL_BIN],
];
const running = new Map<string, Broker>();
// --baseline-flags none: the baseline without the broker's V8 flags (a build from before they existed, as it shipped).
const baselineFlags = val('baseline-flags') === 'none' ? [] : undefined;
// --baseline kafka: Apache Kafka 4.4 (scripts/apache-kafka.sh) as the baseline, same client and data.
for (const [name, bin] of builds) running.set(name, name === 'baseline' && bin === 'kafka' ? await startKafka() : await startRunnel({ bin, nodeFlags: name === 'baseline' ? baselineFlags : undefined }));
const samples: Sample[] = [];
try {
  for (let rep = 0; rep < repeats; rep++) {
    let caseIndex = 0;
    for (const size of sizes) {
      for (const codec of codecs) {
        // Which build goes first alternates per repetition for each case (going first or second
        // after the other's writes is not the same: an even number of repeats balances it).
        const order = (rep + caseIndex++) % 2 === 0 ? builds : [...builds].reverse();
        for (const [name] of order) {
          const broker = running.get(name)!;
          const topic = topicName('walk-ab');
          await broker.createTopic(topic, PARTITIONS);
          const count = countFor(size);
          const props = codec === 'none' ? '' : `compression.type=${codec}`;
          const p = await measured(broker, () => rdbench<RdProduce>('produce', [broker.bootstrap, topic, count, size, acks, PARTITIONS, props]));
          if (p.r.acked !== count) throw new Error(`${name} ${codec} ${size}: ${p.r.acked} of ${count} acknowledged (${p.r.error})`);
          const mbps = (count * size) / 1e6 / p.r.elapsed;
          const s: Sample = { build: name, codec, size, rep, mbps, mbPerCpuSec: (mbps * 100) / p.brokerCpuPct };
          samples.push(s);
          console.log(`rep ${rep} ${size} B ${codec} ${name}: ${mbps.toFixed(1)} MB/s, ${s.mbPerCpuSec.toFixed(1)} MB per broker CPU-s`);
        }
      }
    }
  }
} finally {
  for (const b of running.values()) await b.stop();
}

const lines = [
  '| records | codec | baseline MB/s | candidate MB/s | Δ medians | Δ paired | baseline MB/CPU-s | candidate MB/CPU-s | Δ medians | Δ paired |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
const pct = (ratio: number): string => `${((ratio - 1) * 100).toFixed(1)}%`;
for (const size of sizes) {
  for (const codec of codecs) {
    const of = (build: string) => samples.filter((s) => s.build === build && s.codec === codec && s.size === size).sort((a, b) => a.rep - b.rep);
    const [base, cand] = [of('baseline'), of('candidate')];
    const med = (xs: Sample[], k: 'mbps' | 'mbPerCpuSec') => median(xs.map((x) => x[k]));
    // Paired: the two builds' measurements of the same repetition, taken back to back.
    const paired = (k: 'mbps' | 'mbPerCpuSec') => median(cand.map((c, i) => c[k] / base[i]![k]));
    const cells = (k: 'mbps' | 'mbPerCpuSec') => [med(base, k).toFixed(1), med(cand, k).toFixed(1), pct(med(cand, k) / med(base, k)), pct(paired(k))];
    lines.push(`| ${size} B × ${countFor(size).toLocaleString('en-US')} | ${codec} | ${cells('mbps').join(' | ')} | ${cells('mbPerCpuSec').join(' | ')} |`);
  }
}
console.log(`\nMedians of ${repeats} interleaved runs, acks=${acks}, ${PARTITIONS} partitions:\n${lines.join('\n')}`);
mkdirSync(WORK, { recursive: true });
const out = join(WORK, `walk-ab-${Date.now()}.json`);
writeFileSync(out, JSON.stringify({ args, samples }, null, 1));
console.log(`samples: ${out}`);
