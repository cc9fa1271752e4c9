/**
 * Zero-copy Fetch against read+write (runnel.fetch.zero.copy.enable), on one broker each, with
 * the raw near-zero-cost consumer of raw-throughput.ts so the broker's own cost shows: broker CPU
 * seconds (utime+stime from /proc) per GB consumed, and MB/s, with 1 and 3 concurrent consumers
 * (each reading its own 6-partition topic from offset 0 to the end, one Fetch in flight at a
 * time, partition_max_bytes 4 MiB). Both brokers get their data once; the consume passes then
 * alternate between them (`--rounds` each) so both meet the same load on a shared machine, and
 * medians are printed.
 *
 *   npm run build && npx tsx bench/data-path/zero-copy.ts [--count 200000] [--size 1024] [--rounds 3]
 */
import { cpuSeconds } from '../suite/lib/common.js';
import { createTopic, startBenchBroker, type BenchBroker } from './produce-consume.js';
import { rawConsumeRate, rawProduceRate } from './raw-throughput.js';
import { isMain } from '../is-main.js';
import { NO_FSYNC } from '../suite/lib/brokers.js';

const TOPICS = 3;

interface Pass {
  mode: string;
  consumers: number;
  MBps: number;
  cpuSecPerGB: number;
  brokerCpuPct: number;
}

async function consumePass(b: BenchBroker, mode: string, consumers: number, size: number): Promise<Pass> {
  const [host, port] = b.bootstrap.split(':') as [string, string];
  const pid = b.process.pid!;
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const rates = await Promise.all(Array.from({ length: consumers }, (_, i) => rawConsumeRate(host, Number(port), `zc-${i}`, size)));
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - c0;
  const bytes = rates.reduce((a, r) => a + r.bytes, 0);
  return { mode, consumers, MBps: bytes / 1e6 / secs, cpuSecPerGB: cpu / (bytes / 1e9), brokerCpuPct: (100 * cpu) / secs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (n: string, d: number): number => (args.includes(`--${n}`) ? Number(args[args.indexOf(`--${n}`) + 1]) : d);
  const count = opt('count', 200_000);
  const size = opt('size', 1024);
  const rounds = opt('rounds', 3);
  const modes: Array<[string, BenchBroker]> = [];
  try {
    for (const [mode, enable] of [['zero-copy', true], ['read+write', false]] as const) {
      const b = await startBenchBroker({ 'runnel.fetch.zero.copy.enable': enable, ...NO_FSYNC });
      modes.push([mode, b]);
      const [host, port] = b.bootstrap.split(':') as [string, string];
      for (let i = 0; i < TOPICS; i++) {
        await createTopic(b.bootstrap, `zc-${i}`);
        await rawProduceRate(host, Number(port), `zc-${i}`, count, size);
      }
    }
    const passes: Pass[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const consumers of [1, 3]) {
        for (const [mode, b] of r % 2 ? [...modes].reverse() : modes) {
          const p = await consumePass(b, mode, consumers, size);
          passes.push(p);
          console.log(`round ${r + 1} ${mode} ${consumers} consumer(s): ${p.MBps.toFixed(0)} MB/s, broker ${p.cpuSecPerGB.toFixed(3)} CPU-s/GB (${p.brokerCpuPct.toFixed(0)}% of a core)`);
        }
      }
    }
    console.log('\nmedians:');
    for (const consumers of [1, 3]) {
      for (const [mode] of modes) {
        const ps = passes.filter((p) => p.mode === mode && p.consumers === consumers);
        console.log(`${mode.padEnd(10)} ${consumers} consumer(s): ${median(ps.map((p) => p.MBps)).toFixed(0)} MB/s, ${median(ps.map((p) => p.cpuSecPerGB)).toFixed(3)} broker CPU-s/GB, ${median(ps.map((p) => p.brokerCpuPct)).toFixed(0)}% of a core`);
      }
    }
  } finally {
    for (const [, b] of modes) await b.stop();
  }
}
