/**
 * W2 throughput: 1,000,000 × 100 B and 200,000 × 1 KiB records (quick: a quarter), acks=1 and
 * acks=-1, 6 partitions (record i to partition i % 6: the same spread on every broker, where
 * librdkafka's sticky partitioner would switch partitions at timing-dependent moments), no compression; produce, then consume the same topic from the beginning.
 * MB/s counts payload bytes. Consume rates run from the first record received to the last (the
 * client's own start-up, ~0.5 s for librdkafka's consumer, is left out; it is in the JSON).
 *
 * Clients: librdkafka (rdbench: one shared value, linger.ms=10, batch.size 1 MB; consumer with
 * 4 MiB per partition) on every broker; kafkajs (~1 MiB per send, 4 in flight; its Fetch and
 * decoder) for acks=1 unless --no-kafkajs; Kafka's Java client (its ProducerPerformance and
 * ConsumerPerformance tools, see lib/java.ts) for 1 KiB acks=1 outside quick mode, not on the mock.
 * The mock keeps only the last 5 MiB of each partition, so its consume figure is over what it kept
 * (noted in the JSON as readMB).
 */
import { attempt, kafkajsDriver, measured, rotation, topicName, type Ctx } from './lib/context.js';
import { rdbench, type RdConsume, type RdProduce } from './lib/rdbench.js';
import { javaConsumerPerf, javaProducerPerf, javaToolsClasspath } from './lib/java.js';
import { isMain } from '../is-main.js';

export const W2_PARTITIONS = 6;
export function w2Cases(quick: boolean): Array<{ size: number; count: number; acks: number }> {
  const f = quick ? 0.25 : 1;
  const out = [];
  for (const [size, count] of [
    [100, 1_000_000],
    [1024, 200_000],
  ] as const) {
    for (const acks of [1, -1]) out.push({ size, count: Math.round(count * f), acks });
  }
  return out;
}

export function w2Label(c: { size: number; count: number; acks: number }): string {
  return `${c.size === 1024 ? '1 KiB' : `${c.size} B`} × ${c.count.toLocaleString('en-US')}, acks=${c.acks}`;
}

export async function runW2(ctx: Ctx): Promise<void> {
  const cases = w2Cases(ctx.quick);
  let turn = 0;
  for (let rep = 0; rep < ctx.repeats; rep++) {
    for (const c of cases) {
      const label = w2Label(c);
      for (const kind of rotation([...ctx.running.keys()], turn++)) {
        const broker = ctx.running.get(kind)!;
        await attempt(ctx, `W2 ${label} ${kind} librdkafka`, async () => {
          const topic = topicName('w2');
          await broker.createTopic(topic, W2_PARTITIONS);
          const p = await measured(broker, () => rdbench<RdProduce>('produce', [broker.bootstrap, topic, c.count, c.size, c.acks, W2_PARTITIONS]));
          if (p.r.acked !== c.count) throw new Error(`produce: ${p.r.acked} of ${c.count} acknowledged (${p.r.error})`);
          const base = { workload: 'W2', case: label, broker: kind, client: 'librdkafka', rep };
          const pMBps = (c.count * c.size) / 1e6 / p.r.elapsed;
          ctx.results.add({ ...base, metric: 'produce MB/s', better: 'higher', value: pMBps, pressurePct: p.pressurePct, brokerCpuPct: p.brokerCpuPct });
          ctx.results.add({ ...base, metric: 'produce msg/s', better: 'higher', value: c.count / p.r.elapsed });
          ctx.results.add({ ...base, metric: 'produce MB per broker CPU-second', better: 'higher', value: (pMBps * 100) / p.brokerCpuPct });
          const k = await measured(broker, () => rdbench<RdConsume>('consume', [broker.bootstrap, topic, W2_PARTITIONS, c.count]));
          const secs = (k.r.lastMs - k.r.firstMs) / 1000;
          if (k.r.count < (kind === 'mock' ? 1 : c.count)) throw new Error(`consume: ${k.r.count} of ${c.count}`);
          const cMBps = k.r.bytes / 1e6 / secs;
          const extra = { readMB: k.r.bytes / 1e6, firstMs: k.r.firstMs, elapsedWithStart: k.r.elapsed };
          ctx.results.add({ ...base, metric: 'consume MB/s', better: 'higher', value: cMBps, pressurePct: k.pressurePct, brokerCpuPct: k.brokerCpuPct, extra });
          ctx.results.add({ ...base, metric: 'consume msg/s', better: 'higher', value: k.r.count / secs });
          ctx.log(`  W2 ${label} ${kind}: produce ${pMBps.toFixed(0)} MB/s (broker CPU ${p.brokerCpuPct.toFixed(0)}%, PSI ${p.pressurePct?.toFixed(0)}%), consume ${cMBps.toFixed(0)} MB/s${kind === 'mock' ? ` over ${(k.r.bytes / 1e6).toFixed(0)} MB kept` : ''} (broker CPU ${k.brokerCpuPct.toFixed(0)}%)`);
        });
        if (!ctx.quick && c.acks === 1 && c.size === 1024 && rep === 0 && kind !== 'mock' && javaToolsClasspath()) {
          await attempt(ctx, `W2 ${label} ${kind} java`, async () => {
            const topic = topicName('w2java');
            await broker.createTopic(topic, W2_PARTITIONS);
            const p = await measured(broker, () => javaProducerPerf(broker.bootstrap, topic, c.count, c.size, c.acks));
            const base = { workload: 'W2', case: label, broker: kind, client: 'Java (Kafka perf tools)', rep };
            ctx.results.add({ ...base, metric: 'produce MB/s', better: 'higher', value: p.r.MBps, pressurePct: p.pressurePct, brokerCpuPct: p.brokerCpuPct, extra: { raw: p.r.raw } });
            ctx.results.add({ ...base, metric: 'produce msg/s', better: 'higher', value: p.r.msgPerSec });
            const k = await measured(broker, () => javaConsumerPerf(broker.bootstrap, topic, c.count, c.size));
            ctx.results.add({ ...base, metric: 'consume MB/s', better: 'higher', value: k.r.MBps, pressurePct: k.pressurePct, brokerCpuPct: k.brokerCpuPct, extra: { raw: k.r.raw } });
            ctx.results.add({ ...base, metric: 'consume msg/s', better: 'higher', value: k.r.msgPerSec });
            ctx.log(`  W2 ${label} ${kind} java: produce ${p.r.MBps.toFixed(0)} MB/s, consume ${k.r.MBps.toFixed(0)} MB/s`);
          });
        }
        if (!ctx.kafkajs || c.acks !== 1 || rep > 0 || (ctx.quick && c.size !== 1024)) continue;
        await attempt(ctx, `W2 ${label} ${kind} kafkajs`, async () => {
          const topic = topicName('w2js');
          await broker.createTopic(topic, W2_PARTITIONS);
          const p = await measured(broker, () => kafkajsDriver<{ elapsed: number }>({ op: 'produce', bootstrap: broker.bootstrap, topic, count: c.count, size: c.size, acks: c.acks }));
          const base = { workload: 'W2', case: label, broker: kind, client: 'kafkajs', rep };
          const pMBps = (c.count * c.size) / 1e6 / p.r.elapsed;
          ctx.results.add({ ...base, metric: 'produce MB/s', better: 'higher', value: pMBps, pressurePct: p.pressurePct, brokerCpuPct: p.brokerCpuPct });
          ctx.results.add({ ...base, metric: 'produce msg/s', better: 'higher', value: c.count / p.r.elapsed });
          const k = await measured(broker, () => kafkajsDriver<{ elapsed: number; count: number; bytes: number; firstMs: number }>({ op: 'consume', bootstrap: broker.bootstrap, topic }));
          const secs = k.r.elapsed - k.r.firstMs / 1000;
          const cMBps = k.r.bytes / 1e6 / secs;
          ctx.results.add({ ...base, metric: 'consume MB/s', better: 'higher', value: cMBps, pressurePct: k.pressurePct, brokerCpuPct: k.brokerCpuPct, extra: { readMB: k.r.bytes / 1e6 } });
          ctx.results.add({ ...base, metric: 'consume msg/s', better: 'higher', value: k.r.count / secs });
          ctx.log(`  W2 ${label} ${kind} kafkajs: produce ${pMBps.toFixed(0)} MB/s, consume ${cMBps.toFixed(0)} MB/s`);
        });
      }
    }
  }
}

// Not awaited: suite.js imports this module, and awaiting it here would leave the cycle unsettled.
if (isMain(import.meta.url)) void import('./suite.js').then(({ runSuite }) => runSuite(['--only', 'w2', ...process.argv.slice(2)]));
