/**
 * The cluster bench (issue 16): three brokers, RF=3, on this machine.
 *
 *   npx tsx bench/cluster/run.ts [--target kafka] [--kills 50] [--count 200000] [--warmup 50000]
 *                                [--rate 10000] [--seconds 10] [--only failover|throughput]
 *                                [--heap '-Xmx1G -Xms1G'] [--out FILE]
 *
 * Measures, per target (failover.ts and throughput.ts say exactly how):
 *  - failover: SIGKILL of partition 0's leader -> first acknowledged acks=all produce on its
 *    successor, p50/p99/max over --kills kills (the killed broker restarts and rejoins the ISR
 *    between kills), with every cluster setting at its default;
 *  - throughput: produce MB/s and consume MB/s of 1 KiB records, acks=all, 6 partitions RF=3;
 *    end-to-end p99 latency at 10,000 msg/s.
 * Prints a summary and writes every sample to bench/.work/cluster/<target>.json (--out FILE: all
 * targets' results as one JSON array there instead).
 *
 * Targets are ClusterTarget implementations (test/helpers/cluster-target.ts):
 *
 *   interface ClusterTarget {
 *     kind: string; version: string;
 *     brokerIds: readonly number[];            // [1, 2, 3]
 *     bootstrap: string;                        // every broker, "host:port,host:port,..."
 *     endpoint(id): { host, port };             // stable across restarts
 *     isUp(id): boolean;
 *     killBroker(id): Promise<void>;            // SIGKILL, resolves once the process is gone
 *     startBroker(id): Promise<void>;           // restart on its data, resolves once it serves
 *     pid(id): number | null;                   // for CPU readings
 *     stop(): Promise<void>;                    // everything down, state deleted
 *   }
 *
 * `kafka` is scripts/apache-kafka-cluster.sh (brokers 1-3 + one KRaft controller; the suite's JVM
 * flags for Kafka: -Xmx1G -Xms1G, G1 with MaxGCPauseMillis=20; Kafka's defaults otherwise, so
 * broker.session.timeout.ms=9000 sets its failover time). To add Runnel's cluster, add an entry to
 * TARGETS that starts etcd and three `dist/runnel.mjs` brokers (docs/cluster.md) and returns a
 * ClusterTarget; nothing else changes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApacheKafkaCluster } from '../../test/helpers/apache-kafka-cluster.js';
import type { ClusterTarget } from '../../test/helpers/cluster-target.js';
import { REPO_ROOT, onExit } from '../suite/lib/common.js';
import { KAFKA_HEAP, KAFKA_JVM_OPTS } from '../suite/lib/brokers.js';
import { isMain } from '../is-main.js';
import { measureFailover, type FailoverResult } from './failover.js';
import { measureThroughput, type ThroughputResult } from './throughput.js';

export const WORK = join(REPO_ROOT, 'bench', '.work', 'cluster');

export interface TargetOptions {
  /** JVM heap flags for a JVM broker. */
  heap?: string;
}

/** How each target is started; add Runnel's here (see the header). */
export const TARGETS: Record<string, (o: TargetOptions) => Promise<ClusterTarget>> = {
  kafka: (o) => {
    mkdirSync(WORK, { recursive: true });
    return startApacheKafkaCluster({ heap: o.heap ?? KAFKA_HEAP, jvmOpts: KAFKA_JVM_OPTS, home: join(WORK, `kafka-${process.pid}-${Date.now()}`), timeoutMs: 300_000 });
  },
};

export interface ClusterBenchResult {
  target: string;
  version: string;
  date: string;
  failover?: FailoverResult;
  throughput?: ThroughputResult;
}

export async function runClusterBench(argv: string[]): Promise<ClusterBenchResult[]> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', default: 'kafka' },
      kills: { type: 'string', default: '50' },
      count: { type: 'string', default: '200000' },
      seconds: { type: 'string', default: '10' },
      rate: { type: 'string', default: '10000' },
      warmup: { type: 'string' },
      only: { type: 'string' },
      heap: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const out: ClusterBenchResult[] = [];
  for (const name of values.target!.split(',')) {
    const start = TARGETS[name];
    if (!start) throw new Error(`unknown target '${name}' (known: ${Object.keys(TARGETS).join(', ')})`);
    const log = (line: string): void => console.log(`[${name}] ${line}`);
    const t0 = Date.now();
    const cluster = await start({ heap: values.heap });
    const cancelExit = onExit(() => void cluster.stop());
    log(`started ${cluster.kind} ${cluster.version} (brokers ${cluster.bootstrap}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const result: ClusterBenchResult = { target: name, version: cluster.version, date: new Date().toISOString() };
    try {
      if (values.only !== 'failover') result.throughput = await measureThroughput(cluster, { count: Number(values.count), seconds: Number(values.seconds), rate: Number(values.rate), warmup: values.warmup === undefined ? undefined : Number(values.warmup), log });
      if (values.only !== 'throughput') {
        const f = await measureFailover(cluster, { kills: Number(values.kills), log });
        result.failover = f;
        log(`failover over ${f.kills} kills: p50 ${f.p50.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms, max ${f.max.toFixed(0)} ms (min ${f.min.toFixed(0)}, mean ${f.mean.toFixed(0)})`);
      }
    } finally {
      await cluster.stop();
      cancelExit();
    }
    out.push(result);
    if (!values.out) {
      writeFileSync(join(WORK, `${name}.json`), `${JSON.stringify(result, null, 1)}\n`);
      log(`results in ${join(WORK, `${name}.json`)}`);
    }
  }
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(out, null, 1)}\n`);
  }
  return out;
}

if (isMain(import.meta.url)) {
  runClusterBench(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
