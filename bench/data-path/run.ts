/**
 * The whole data-path benchmark in one run: the machine's limits (loopback TCP, disk with and
 * without fsync), produce/consume throughput (kcat and confluent-kafka-python for librdkafka,
 * kafkajs, and a raw client that shows the broker's own ceiling), end-to-end latency at
 * 10,000 msg/s and sequential acks=-1, with the broker's CPU share during each throughput phase.
 * Prints a Markdown summary and writes bench/.work/data-path-<time>.json.
 *
 *   npm run build && npx tsx bench/data-path/run.ts [--repeat 2] [--scale 1] [--seconds 10]
 *
 * Each throughput figure is the best of --repeat runs (the machine is shared; see RESULTS.md).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BENCH_WORK, measureMachine, type MachineLimits } from './machine.js';
import {
  WORKLOADS,
  ckProduceRate,
  createTopic,
  kafkajsConsumeRate,
  kafkajsProduceRate,
  kcatConsumeRate,
  kcatProduceRate,
  startBenchBroker,
  type Rate,
  type Workload,
} from './produce-consume.js';
import { rawConsumeRate, rawProduceRate } from './raw-throughput.js';
import { runLatency, type LatencyResults } from './latency.js';

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function pressure(): string {
  try {
    return readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0]!.replace('some ', '');
  } catch {
    return 'n/a';
  }
}

interface Phase extends Rate {
  brokerCpuPct: number;
}

interface Row {
  client: string;
  workload: string;
  produce: Phase;
  consume: Phase | null;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (n: string, d: number): number => (args.includes(`--${n}`) ? Number(args[args.indexOf(`--${n}`) + 1]) : d);
  const repeat = opt('repeat', 2);
  const scale = opt('scale', 1);
  const seconds = opt('seconds', 10);
  const log = (s: string): void => console.error(s);
  const started = new Date();
  const env = { date: started.toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', loadBefore: loadavg().map((x) => x.toFixed(2)).join(' '), pressureBefore: pressure() };
  log(`environment: ${JSON.stringify(env)}`);
  const machine: MachineLimits = await measureMachine();
  log(`machine: ${JSON.stringify(machine)}`);

  const broker = await startBenchBroker();
  const pid = broker.process.pid!;
  const [host, port] = broker.bootstrap.split(':') as [string, string];
  const timed = async (fn: () => Promise<Rate>): Promise<Phase> => {
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    const r = await fn();
    const wall = (performance.now() - t0) / 1000;
    return { ...r, brokerCpuPct: (100 * (cpuSeconds(pid) - c0)) / wall };
  };
  const best = (a: Phase | null, b: Phase): Phase => (a === null || b.MBps > a.MBps ? b : a);
  const rows: Row[] = [];
  let latency: LatencyResults;
  try {
    for (const client of ['kcat', 'ck', 'kafkajs', 'raw'] as const) {
      for (const base of WORKLOADS) {
        const w: Workload = { ...base, count: Math.round(base.count * scale) };
        let produce: Phase | null = null;
        let consume: Phase | null = null;
        for (let i = 0; i < repeat; i++) {
          const topic = `run-${client}-${w.size}-${i}-${Date.now()}`;
          await createTopic(broker.bootstrap, topic);
          const p = await timed(() =>
            client === 'kcat'
              ? kcatProduceRate(broker.bootstrap, topic, w)
              : client === 'ck'
                ? ckProduceRate(broker.bootstrap, topic, w)
                : client === 'kafkajs'
                  ? kafkajsProduceRate(broker.bootstrap, topic, w)
                  : rawProduceRate(host, Number(port), topic, w.count, w.size),
          );
          produce = best(produce, p);
          // librdkafka's consumer is measured with kcat (the Python consumer's per-record cost is Python's).
          if (client !== 'ck') {
            const c = await timed(() =>
              client === 'kcat'
                ? kcatConsumeRate(broker.bootstrap, topic, w)
                : client === 'kafkajs'
                  ? kafkajsConsumeRate(broker.bootstrap, topic, w)
                  : rawConsumeRate(host, Number(port), topic, w.size),
            );
            consume = best(consume, c);
          }
        }
        rows.push({ client, workload: base.name, produce: produce!, consume });
        log(`${client} ${base.name}: produce ${produce!.MBps.toFixed(0)} MB/s (broker CPU ${produce!.brokerCpuPct.toFixed(0)}%)${consume ? `, consume ${consume.MBps.toFixed(0)} MB/s (broker CPU ${consume.brokerCpuPct.toFixed(0)}%)` : ''}`);
      }
    }
    latency = await runLatency(broker.bootstrap, 10_000, seconds, log);
  } finally {
    await broker.stop();
  }
  const after = { loadAfter: loadavg().map((x) => x.toFixed(2)).join(' '), pressureAfter: pressure() };
  const result = { env: { ...env, ...after }, machine, rows, latency };
  mkdirSync(BENCH_WORK, { recursive: true });
  const file = join(BENCH_WORK, `data-path-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));

  // Markdown summary on stdout.
  const f0 = (x: number): string => Math.round(x).toLocaleString('en-US');
  const pctOf = (x: number, limit: number): string => `${((100 * x) / limit).toFixed(0)}%`;
  const out: string[] = [];
  out.push(`Run ${env.date}, Node ${env.node}, ${env.cpus} cores (${env.cpuModel}); load ${env.loadBefore} → ${after.loadAfter}; CPU pressure before: ${env.pressureBefore}.`);
  out.push('');
  out.push(`Machine, same run: loopback TCP ${f0(machine.loopbackMBps)} MB/s (Node → Node, two processes); disk sequential write ${f0(machine.diskWriteMBps)} MB/s without fsync, ${f0(machine.diskWriteFsyncMBps)} MB/s with an fsync per MiB; 100 B append + fdatasync ${machine.smallFsyncMicros.toFixed(0)} µs mean, p99 ${machine.smallFsyncP99Micros.toFixed(0)} µs (${f0(machine.smallFsyncPerSec)}/s).`);
  out.push('');
  out.push('| client | records | produce MB/s | produce msg/s | vs loopback | broker CPU | consume MB/s | consume msg/s | vs loopback | broker CPU |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const c = r.consume;
    out.push(
      `| ${r.client} | ${r.workload} | ${f0(r.produce.MBps)} | ${f0(r.produce.msgPerSec)} | ${pctOf(r.produce.MBps, machine.loopbackMBps)} | ${f0(r.produce.brokerCpuPct)}% | ${c ? f0(c.MBps) : '–'} | ${c ? f0(c.msgPerSec) : '–'} | ${c ? pctOf(c.MBps, machine.loopbackMBps) : '–'} | ${c ? `${f0(c.brokerCpuPct)}%` : '–'} |`,
    );
  }
  out.push('');
  out.push(`End-to-end latency at ${latency.rate.toLocaleString('en-US')} msg/s × 100 B for ${latency.seconds} s (send call → consumer has it):`);
  out.push('');
  out.push('| driver | p50 ms | p99 ms | p99.9 ms | max ms |');
  out.push('| --- | ---: | ---: | ---: | ---: |');
  for (const [k, p] of Object.entries(latency.e2e)) out.push(`| ${k} | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${p.p999.toFixed(2)} | ${p.max.toFixed(1)} |`);
  out.push('');
  const floor = (5000 * machine.smallFsyncMicros) / 1e6;
  out.push(`Sequential acks=-1, 5,000 × 100 B one at a time (disk floor: 5,000 × ${machine.smallFsyncMicros.toFixed(0)} µs fdatasync = ${floor.toFixed(2)} s):`);
  out.push('');
  for (const [k, s] of Object.entries(latency.sequential)) out.push(`- ${k}: ${s.toFixed(2)} s (${f0(5000 / s)} records/s, ${(s / floor).toFixed(2)}× the fdatasync floor)`);
  console.log(out.join('\n'));
  log(`results: ${file}`);
}

await main();
