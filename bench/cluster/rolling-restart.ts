/**
 * Rolling restart under load, Runnel against Apache Kafka (issue 17; bench/RESULTS.md, cluster):
 * three brokers, a topic with RF 3, min.insync.replicas 2 and three partitions, ops-load.ts's
 * clients (an idempotent acks=all kafkajs producer with kafkajs' default retries, one sequential
 * lane per partition, and a kafkajs consumer group), then each broker in turn stopped gracefully
 * (SIGTERM: controlled shutdown), started again, and waited for until nothing is under-replicated.
 * Prints per target: time per broker, acknowledgements per second before and during the restarts
 * (same clients, same run), the longest stall, failed sends, the errors the clients logged, and the
 * history checker's verdict.
 *
 *   npm run build && npx tsx bench/cluster/rolling-restart.ts [--target runnel,kafka]
 *
 * Runnel: etcd + dist/runnel.mjs (test/cluster/cluster-harness.ts; controller restarted last).
 * Kafka: scripts/apache-kafka-cluster.sh (KRaft controller on its own node; brokers 1, 2, 3).
 */
import { parseArgs } from 'node:util';
import { startApacheKafkaCluster } from '../../test/helpers/apache-kafka-cluster.js';
import { type ClusterTarget, createTopicReady, metadataFrom } from '../../test/helpers/cluster-target.js';
import { startRunnelCluster } from '../../test/cluster/cluster-harness.js';
import { OpsLoad, type RollingRestartResult, rollingRestart } from '../../test/cluster/ops-load.js';

interface Run {
  target: string;
  version: string;
  roll: RollingRestartResult;
  summary: Awaited<ReturnType<OpsLoad['finish']>>;
}

async function measure(c: ClusterTarget, order: number[], ops: { stop(id: number): Promise<unknown>; start(id: number): Promise<unknown> }, dataDir: (id: number) => string): Promise<Run> {
  const topic = 'roll';
  await createTopicReady(c, { name: topic, partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
  const load = await OpsLoad.start({ bootstrap: c.bootstrap, topic, partitions: 3 });
  try {
    await load.progressed(30, 'before the restarts');
    const roll = await rollingRestart(c, load, order, ops, 10_000);
    const summary = await load.finish(c, dataDir);
    return { target: c.kind, version: c.version, roll, summary };
  } catch (e) {
    await load.abort();
    throw e;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { target: { type: 'string', default: 'runnel,kafka' } } });
  const runs: Run[] = [];
  for (const target of values.target!.split(',')) {
    if (target === 'runnel') {
      const c = await startRunnelCluster({ brokers: 3, props: { 'auto.leader.rebalance.enable': false } });
      try {
        const controller = (await metadataFrom(c, 1, [])).controllerId as number;
        runs.push(await measure(c, [...[1, 2, 3].filter((id) => id !== controller), controller], { stop: (id) => c.kill(id, 'SIGTERM'), start: (id) => c.restart(id) }, (id) => c.dataDir(id)));
      } finally {
        await c.stop();
      }
    } else if (target === 'kafka') {
      const c = await startApacheKafkaCluster({ props: { 'auto.leader.rebalance.enable': false } });
      try {
        runs.push(await measure(c, [1, 2, 3], { stop: (id) => c.stopBroker(id), start: (id) => c.startBroker(id) }, (id) => c.dataDir(id)));
      } finally {
        await c.stop();
      }
    } else throw new Error(`unknown target ${target} (runnel, kafka)`);
  }
  for (const r of runs) {
    const h = r.summary.history;
    console.log(
      JSON.stringify({
        target: r.target,
        version: r.version,
        ...r.roll,
        producers: r.summary.producers,
        consumer: r.summary.consumer,
        history: { lost: h.lost.length, duplicated: h.duplicated.length, phantom: h.phantom.length, reordered: h.reordered.length, gaps: h.gaps.length },
        clientErrors: r.summary.clientErrors,
      }),
    );
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
