/**
 * W3 latency: 1 KiB records at 10,000 msg/s for 10 s (quick: 3 s) to one partition, acks=-1;
 * end-to-end latency from the producer's send call to the consumer having the record (producer
 * and consumer in one process, one clock), p50 / p99 / p99.9 / max. Clients: librdkafka (rdbench:
 * linger.ms=0, consumer fetch.wait.max.ms=500) and kafkajs (send() per 1 ms tick, its Fetch with
 * max wait 500 ms). With Runnel's default a record becomes visible only after its fdatasync.
 *
 * Not run against the mock: it answers a fetch that finds no data only after the full
 * fetch.wait.max.ms (it is not woken by a produce), so its latency is the client's setting.
 */
import { attempt, kafkajsDriver, measured, rotation, topicName, type Ctx } from './lib/context.js';
import { rdbench, type RdLatency } from './lib/rdbench.js';
import { isMain } from '../is-main.js';

export const W3 = { rate: 10_000, size: 1024, acks: -1 };

export async function runW3(ctx: Ctx): Promise<void> {
  const seconds = ctx.quick ? 3 : 10;
  const label = `1 KiB at ${W3.rate.toLocaleString('en-US')} msg/s for ${seconds} s, acks=-1`;
  const kinds = [...ctx.running.keys()].filter((k) => k !== 'mock');
  if (ctx.running.has('mock')) ctx.results.note('W3 skips the mock: it answers an empty fetch only after the full fetch.wait.max.ms instead of on produce, so its end-to-end latency is the client setting (p50 ≈ 250 ms at 500 ms).');
  for (let rep = 0; rep < ctx.repeats; rep++) {
    for (const kind of rotation(kinds, rep)) {
      const broker = ctx.running.get(kind)!;
      await attempt(ctx, `W3 ${kind} librdkafka`, async () => {
        const topic = topicName('w3');
        await broker.createTopic(topic, 1);
        const m = await measured(broker, () => rdbench<RdLatency>('latency', [broker.bootstrap, topic, W3.rate, seconds, W3.size, 'all'], (seconds + 90) * 1000));
        if (m.r.count < m.r.sent * 0.99) throw new Error(`only ${m.r.count} of ${m.r.sent} records arrived`);
        const base = { workload: 'W3', case: label, broker: kind, client: 'librdkafka', rep, pressurePct: m.pressurePct, brokerCpuPct: m.brokerCpuPct };
        ctx.results.add({ ...base, metric: 'p50 ms', better: 'lower', value: m.r.p50 });
        ctx.results.add({ ...base, metric: 'p99 ms', better: 'lower', value: m.r.p99 });
        ctx.results.add({ ...base, metric: 'p99.9 ms', better: 'lower', value: m.r.p999 });
        ctx.results.add({ ...base, metric: 'max ms', better: 'lower', value: m.r.max });
        ctx.log(`  W3 ${kind} librdkafka: p50 ${m.r.p50.toFixed(2)} p99 ${m.r.p99.toFixed(2)} p99.9 ${m.r.p999.toFixed(2)} max ${m.r.max.toFixed(1)} ms (PSI ${m.pressurePct?.toFixed(0)}%)`);
      });
      if (!ctx.kafkajs || rep > 0) continue;
      await attempt(ctx, `W3 ${kind} kafkajs`, async () => {
        const topic = topicName('w3js');
        await broker.createTopic(topic, 1);
        const m = await measured(broker, () => kafkajsDriver<RdLatency>({ op: 'latency', bootstrap: broker.bootstrap, topic, rate: W3.rate, seconds, size: W3.size, acks: W3.acks }, (seconds + 90) * 1000));
        const base = { workload: 'W3', case: label, broker: kind, client: 'kafkajs', rep, pressurePct: m.pressurePct };
        ctx.results.add({ ...base, metric: 'p50 ms', better: 'lower', value: m.r.p50 });
        ctx.results.add({ ...base, metric: 'p99 ms', better: 'lower', value: m.r.p99 });
        ctx.results.add({ ...base, metric: 'p99.9 ms', better: 'lower', value: m.r.p999 });
        ctx.results.add({ ...base, metric: 'max ms', better: 'lower', value: m.r.max });
        ctx.log(`  W3 ${kind} kafkajs: p50 ${m.r.p50.toFixed(2)} p99 ${m.r.p99.toFixed(2)} p99.9 ${m.r.p999.toFixed(2)} max ${m.r.max.toFixed(1)} ms`);
      });
    }
  }
}

// Not awaited: suite.js imports this module, and awaiting it here would leave the cycle unsettled.
if (isMain(import.meta.url)) void import('./suite.js').then(({ runSuite }) => runSuite(['--only', 'w3', ...process.argv.slice(2)]));
