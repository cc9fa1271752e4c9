/**
 * W5 partitions: one broker, fresh, gets topics of 1, 100, 1,000 and 10,000 partitions in turn
 * (so the broker holds 1, 101, 1,101 and 11,101 partitions; quick: 100 and 10,000). Runnel runs
 * with its default (fsync) only: without fsync the same code path only skips the fsyncs. For each: the topic's creation time,
 * produce throughput of 100,000 × 1 KiB records (quick: 50,000) spread round-robin over its
 * partitions (librdkafka, acks=1), the broker's RSS after that, then a clean restart: time to the
 * first answered request and RSS once idle.
 */
import { settledRss, startMock, startRunnel, type Broker, type BrokerKind } from './lib/brokers.js';
import { attempt, measured, type Ctx } from './lib/context.js';
import { rdbench, type RdProduce } from './lib/rdbench.js';
import { sleep } from './lib/common.js';
import { isMain } from '../is-main.js';

export const W5_PARTITIONS = [1, 100, 1000, 10_000];
export const W5_PARTITIONS_QUICK = [100, 10_000];

export async function runW5(ctx: Ctx, kind: BrokerKind, existing: Broker | null): Promise<void> {
  const count = ctx.quick ? 50_000 : 100_000;
  const size = 1024;
  let broker: Broker | null = existing;
  await attempt(ctx, `W5 ${kind} start`, async () => {
    broker ??= kind === 'mock' ? await startMock() : await startRunnel({ kind: kind as 'runnel' | 'runnel-nofsync' });
  });
  if (!broker) return;
  const b: Broker = broker;
  try {
    for (const parts of ctx.quick ? W5_PARTITIONS_QUICK : W5_PARTITIONS) {
      const label = `${parts.toLocaleString('en-US')} partition${parts > 1 ? 's' : ''}`;
      const base = { workload: 'W5', case: label, broker: kind, client: 'librdkafka', rep: 0 };
      let ok = false;
      await attempt(ctx, `W5 ${kind} ${parts}`, async () => {
        const topic = `w5-${parts}`;
        const t0 = performance.now();
        await b.createTopic(topic, parts);
        const createMs = performance.now() - t0;
        ctx.results.add({ ...base, metric: 'create topic ms', better: 'lower', value: createMs });
        const m = await measured(b, () => rdbench<RdProduce>('produce', [b.bootstrap, topic, count, size, 1, parts], 600_000));
        if (m.r.acked !== count) throw new Error(`${m.r.acked} of ${count} acknowledged: ${m.r.error}`);
        const MBps = (count * size) / 1e6 / m.r.elapsed;
        ctx.results.add({ ...base, metric: `produce MB/s (${(count / 1000).toFixed(0)}k × 1 KiB)`, better: 'higher', value: MBps, pressurePct: m.pressurePct, brokerCpuPct: m.brokerCpuPct });
        await sleep(1000);
        ctx.results.add({ ...base, metric: 'RSS after produce MB', better: 'lower', value: b.rssMb() });
        ctx.log(`  W5 ${kind} ${label}: create ${createMs.toFixed(0)} ms, produce ${MBps.toFixed(0)} MB/s, RSS ${b.rssMb().toFixed(0)} MB`);
        ok = true;
      });
      if (!ok || !b.restart) continue;
      await attempt(ctx, `W5 ${kind} ${parts} restart`, async () => {
        const t = await b.restart!();
        ctx.results.add({ ...base, metric: 'clean restart → first answer ms', better: 'lower', value: t.readyMs });
        const rss = await settledRss(() => b.rssMb(), 2000, kind === 'kafka' ? 15_000 : 6000);
        ctx.results.add({ ...base, metric: 'RSS idle after restart MB', better: 'lower', value: rss });
        ctx.log(`  W5 ${kind} ${label}: restart ${t.readyMs.toFixed(0)} ms, idle RSS ${rss.toFixed(0)} MB`);
      });
    }
  } finally {
    await b.stop();
  }
}

// Not awaited: suite.js imports this module, and awaiting it here would leave the cycle unsettled.
if (isMain(import.meta.url)) void import('./suite.js').then(({ runSuite }) => runSuite(['--only', 'w5', ...process.argv.slice(2)]));
