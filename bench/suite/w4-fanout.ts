/**
 * W4 fan-out: one producer and 1 / 4 / 16 consumer groups (one member each, subscribe) reading the
 * same topic: 50,000 × 1 KiB records (quick: 20,000), 12 partitions (so the mock's 5 MiB per
 * partition holds them all), record i to partition i % 12, acks=1. The groups join first; then the producer sends while they
 * read. Measured from the producer's start: until every group has every record ("all groups
 * done"), and the records delivered per second over all groups (groups × MB / that time). The
 * join time is reported apart (the mock delays a group's first rebalance by 3 s).
 */
import { attempt, measured, rotation, topicName, type Ctx } from './lib/context.js';
import { rdbench, type RdFanout } from './lib/rdbench.js';
import { isMain } from '../is-main.js';

export const W4 = { size: 1024, partitions: 12, groups: [1, 4, 16] };

export async function runW4(ctx: Ctx): Promise<void> {
  const count = ctx.quick ? 20_000 : 50_000;
  let turn = 0;
  for (let rep = 0; rep < ctx.repeats; rep++) {
    for (const groups of W4.groups) {
      const label = `1 KiB × ${count.toLocaleString('en-US')}, ${groups} group${groups > 1 ? 's' : ''}`;
      for (const kind of rotation([...ctx.running.keys()], turn++)) {
        const broker = ctx.running.get(kind)!;
        await attempt(ctx, `W4 ${groups} ${kind}`, async () => {
          const topic = topicName('w4');
          await broker.createTopic(topic, W4.partitions);
          const m = await measured(broker, () => rdbench<RdFanout>('fanout', [broker.bootstrap, topic, count, W4.size, groups, W4.partitions], 300_000));
          if (m.r.consumed !== groups * count) throw new Error(`${m.r.consumed} of ${groups * count} records delivered`);
          const base = { workload: 'W4', case: label, broker: kind, client: 'librdkafka', rep };
          const delivered = (groups * count * W4.size) / 1e6 / m.r.doneSecs;
          ctx.results.add({ ...base, metric: 'delivered MB/s (all groups)', better: 'higher', value: delivered, pressurePct: m.pressurePct, brokerCpuPct: m.brokerCpuPct, extra: { groupSecs: m.r.groupSecs } });
          ctx.results.add({ ...base, metric: 'all groups done s', better: 'lower', value: m.r.doneSecs });
          ctx.results.add({ ...base, metric: 'produce MB/s while read', better: 'higher', value: (count * W4.size) / 1e6 / m.r.produceSecs });
          ctx.results.add({ ...base, metric: 'join ms', better: 'lower', value: m.r.joinMs });
          ctx.log(`  W4 ${groups} groups ${kind}: done in ${m.r.doneSecs.toFixed(2)} s, ${delivered.toFixed(0)} MB/s delivered, join ${m.r.joinMs.toFixed(0)} ms`);
        });
      }
    }
  }
}

// Not awaited: suite.js imports this module, and awaiting it here would leave the cycle unsettled.
if (isMain(import.meta.url)) void import('./suite.js').then(({ runSuite }) => runSuite(['--only', 'w4', ...process.argv.slice(2)]));
