/**
 * W1 sequential durable: 5,000 × 100 B records, acks=-1, one at a time (each sent after the
 * previous one was acknowledged), one partition. Clients: librdkafka (rdbench, linger.ms=0) and
 * kafkajs (one run per broker, not in quick mode). With Runnel's default every acknowledgement waits for an fdatasync, so the floor is
 * 5,000 × the disk's fsync'd-append time (limits.ts); Kafka and `runnel-nofsync` do not fsync.
 */
import { attempt, kafkajsDriver, measured, rotation, topicName, type Ctx } from './lib/context.js';
import { rdbench, type RdSequential } from './lib/rdbench.js';
import { isMain } from '../is-main.js';

export const W1 = { count: 5000, size: 100 };

export async function runW1(ctx: Ctx): Promise<void> {
  const label = `${W1.count.toLocaleString('en-US')} × ${W1.size} B, acks=-1, one at a time`;
  for (let rep = 0; rep < ctx.repeats; rep++) {
    for (const kind of rotation([...ctx.running.keys()], rep)) {
      const broker = ctx.running.get(kind)!;
      await attempt(ctx, `W1 ${kind} librdkafka`, async () => {
        const topic = topicName('w1');
        await broker.createTopic(topic, 1);
        const m = await measured(broker, () => rdbench<RdSequential>('sequential', [broker.bootstrap, topic, W1.count, W1.size]));
        const base = { workload: 'W1', case: label, broker: kind, client: 'librdkafka', rep, pressurePct: m.pressurePct, brokerCpuPct: m.brokerCpuPct };
        ctx.results.add({ ...base, metric: 'total s', better: 'lower', value: m.r.elapsed });
        ctx.results.add({ ...base, metric: 'per record p99 ms', better: 'lower', value: m.r.p99 });
        ctx.log(`  W1 ${kind} librdkafka: ${m.r.elapsed.toFixed(2)} s (p50 ${m.r.p50.toFixed(3)} ms, p99 ${m.r.p99.toFixed(3)} ms)`);
      });
      if (!ctx.kafkajs || ctx.quick || rep > 0) continue;
      await attempt(ctx, `W1 ${kind} kafkajs`, async () => {
        const topic = topicName('w1js');
        await broker.createTopic(topic, 1);
        const m = await measured(broker, () => kafkajsDriver<{ elapsed: number; p99: number }>({ op: 'sequential', bootstrap: broker.bootstrap, topic, count: W1.count, size: W1.size }));
        ctx.results.add({ workload: 'W1', case: label, metric: 'total s', better: 'lower', broker: kind, client: 'kafkajs', value: m.r.elapsed, rep, pressurePct: m.pressurePct });
        ctx.log(`  W1 ${kind} kafkajs: ${m.r.elapsed.toFixed(2)} s`);
      });
    }
  }
}

// Not awaited: suite.js imports this module, and awaiting it here would leave the cycle unsettled.
if (isMain(import.meta.url)) void import('./suite.js').then(({ runSuite }) => runSuite(['--only', 'w1', ...process.argv.slice(2)]));
