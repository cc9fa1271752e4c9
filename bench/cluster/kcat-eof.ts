/**
 * Does `kcat -C -e` ("exit at the end of every partition") finish while producers keep writing?
 * The compose test (test/compose/compose.test.ts) saw it not finish within 60 s in 3 of 8 runs
 * against Runnel. Hypothesis: librdkafka signals a partition's EOF only when a Fetch response
 * shows the high watermark equal to the offset that Fetch asked for (src/rdkafka_fetcher.c: no new
 * data for that partition in that response); under steady writes a long-polling Fetch returns as
 * soon as the next record is committed, so a partition that is alone in its broker's Fetch rarely
 * gets such a response. This measures it on Runnel and Apache Kafka alike (the clusters of
 * test/faults, nodes in network namespaces): a 3-partition topic, one kafkajs acks=all lane per
 * partition writing every `--interval` ms, and `--runs` kcat -C -e reads with a `--timeout`, for two
 * leader layouts: `spread` (each broker leads one partition, as in the compose test) and `one`
 * (broker 1 leads all three, so each Fetch response also carries partitions without new data).
 *
 *   npx tsx bench/cluster/kcat-eof.ts [--target kafka,runnel] [--runs 6] [--timeout 60] [--interval 20]
 *
 * Opt-in like bench/cluster/faults.ts (root, Java, kcat; `npm run build` for Runnel).
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startRunnelFaultTarget } from '../../test/faults/fault-cluster.js';
import type { StartFaultTarget } from '../../test/faults/fault-target.js';
import { KafkaFaultCluster } from '../../test/faults/kafka-fault-cluster.js';
import { startWorkload } from '../../test/faults/workload.js';
import { createTopicReady } from '../../test/helpers/cluster-target.js';
import { isMain } from '../is-main.js';
import { KAFKA_JVM_OPTS } from '../suite/lib/brokers.js';

const TARGETS: Record<string, StartFaultTarget> = {
  kafka: (o) => KafkaFaultCluster.start({ ...o, props: { 'min.insync.replicas': 2 }, jvmOpts: KAFKA_JVM_OPTS }),
  runnel: startRunnelFaultTarget({ 'broker.session.timeout.ms': 9000, 'broker.heartbeat.interval.ms': 2000 }),
};

const LAYOUTS: Record<string, number[][]> = {
  spread: [[1, 2, 3], [2, 3, 1], [3, 1, 2]],
  one: [[1, 2, 3], [1, 3, 2], [1, 2, 3]],
};

interface KcatRun {
  finished: boolean;
  ms: number;
  records: number;
}

/** One `kcat -C -e` from the beginning; killed after timeoutMs. */
function kcatToEnd(bootstrap: string, topic: string, timeoutMs: number): Promise<KcatRun> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o\\n'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let records = 0;
    p.stdout.on('data', (d: Buffer) => {
      for (const b of d) if (b === 10) records++;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ finished: code === 0, ms: Date.now() - t0, records });
    });
  });
}

export async function runKcatEof(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', default: 'kafka,runnel' },
      runs: { type: 'string', default: '6' },
      timeout: { type: 'string', default: '60' },
      interval: { type: 'string', default: '20' },
    },
  });
  const lines: string[] = [];
  for (const target of values.target!.split(',')) {
    const c = await TARGETS[target]!({});
    try {
      for (const [layout, assignments] of Object.entries(LAYOUTS)) {
        const topic = `eof-${layout}`;
        await createTopicReady(c, { name: topic, assignments, configs: { 'min.insync.replicas': '2' } });
        const w = await startWorkload(c, topic, 3, Number(values.interval));
        await w.progress(100, 60_000);
        const runs: KcatRun[] = [];
        for (let i = 0; i < Number(values.runs); i++) {
          const a0 = w.acked();
          const r = await kcatToEnd(c.bootstrap, topic, Number(values.timeout) * 1000);
          runs.push(r);
          console.log(`[kcat-eof] ${target} ${layout} run ${i + 1}: ${r.finished ? `finished in ${r.ms} ms` : `NOT finished after ${r.ms} ms`}, ${r.records} records read, ${w.acked() - a0} acks meanwhile`);
        }
        const res = await w.finish();
        const done = runs.filter((r) => r.finished);
        lines.push(`| ${target} | ${layout} | ${done.length}/${runs.length} | ${done.length ? `${Math.max(...done.map((r) => r.ms))} ms` : '-'} | ${res.acked}/${res.attempts}, problems ${res.problems} |`);
      }
    } finally {
      await c.stop();
    }
  }
  console.log(`\n| target | leaders | kcat -e finished within ${values.timeout} s | slowest finish | load acked/attempted |\n|---|---|---|---|---|\n${lines.join('\n')}`);
}

if (isMain(import.meta.url)) {
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  runKcatEof(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
