/**
 * Fault scenarios on links and disks (issue 17), each on its own 3-broker cluster in network
 * namespaces (fault-cluster.ts) under idempotent acks=all load, ending with the history checker
 * (workload.ts) reporting zero lost / divergent / reordered / duplicated:
 *  5. packet loss (and netem latency where the kernel has sch_netem) between the brokers;
 *  6. a broker's disk fills (its log dir is a small tmpfs): it must not acknowledge what it could
 *     not write, and its leaderships must move (as Kafka, whose broker halts once its only log dir
 *     failed); with space again and restarted, it catches up and rejoins the ISR.
 */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicReady, sleep, waitIsrFull } from '../helpers/cluster-target.js';
import { FaultCluster } from './fault-cluster.js';
import { faultsUnavailable } from './netns.js';
import { startWorkload, summary } from './workload.js';

const PROPS = { 'min.insync.replicas': 2, 'replica.lag.time.max.ms': 3000 };
const CLEAN = { lost: [], divergent: [], outOfOrder: [], duplicated: [], phantom: [], reordered: [] };
let c: FaultCluster | null = null;
afterEach(async () => {
  await c?.stop();
  c = null;
});

/** Writes a file into `dir` until the file system is full (ENOSPC), down to 4 KiB chunks. */
async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const fh = await open(path, 'w');
  try {
    for (let chunk = 1 << 20; chunk >= 4096; chunk >>= 1) {
      const buf = Buffer.alloc(chunk, 1);
      for (;;) {
        try {
          await fh.write(buf);
        } catch (e: any) {
          if (e.code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
  return path;
}

describe.skipIf(faultsUnavailable !== null)('faults: links and disks', () => {
  it('5. packet loss (and latency where netem exists) between brokers under load', async () => {
    c = await FaultCluster.start({ props: PROPS });
    await createTopicReady(c, { name: 'lossy', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const w = await startWorkload(c, 'lossy', 3);
    await w.progress(30);
    const netem = await c.net.delay('b1', 30, 10);
    if (!netem) console.log('[faults] tc netem unavailable (kernel without sch_netem): packet loss only');
    for (const id of c.brokerIds) await c.net.loss(`b${id}`, c.brokerIds.filter((x) => x !== id).map((x) => `b${x}`), 15);
    await w.progress(100, 60_000);
    await sleep(5000);
    await c.net.heal();
    const r = await w.finish();
    console.log(summary('loss between brokers', r));
    expect(r.report).toEqual(CLEAN);
  }, 150_000);

  it('6. a full disk: the broker acknowledges nothing it could not write, its leaderships move; with space again it rejoins', async () => {
    // A 48 MiB disk; produce is refused below 4 MiB free (runnel.log.dir.min.free.bytes).
    c = await FaultCluster.start({ props: { ...PROPS, 'runnel.log.dir.min.free.bytes': 4 << 20 }, tmpfsMiB: { 3: 48 } });
    await createTopicReady(c, { name: 'full', assignments: [[3, 1, 2], [1, 3, 2]], configs: { 'min.insync.replicas': '2' } });
    const w = await startWorkload(c, 'full', 2);
    await w.progress(30);
    const t0 = Date.now();
    const filler = await fillDisk(c.dataDir(3));
    // Broker 3 led partition 0: a new leader with broker 3 out of the ISR, and writes go on.
    const moved = await c.waitPartitionSeenBy('full', 0, (p) => p.leader !== 3 && !p.isr.includes(3), [1, 2]).catch((e) => {
      console.log((c!.process(3)?.logs ?? ['(broker 3 exited)']).filter((l) => !/"level":30/.test(l)).slice(-15).join('\n'));
      throw e;
    });
    const failover = Date.now() - t0;
    expect(moved.leader).not.toBe(3);
    // Broker 3 stopped itself (exit 1) rather than keep leaderships it cannot write for.
    expect(await c.process(3)?.exited ?? 1).toBe(1);
    await w.progress(50, 60_000);
    await rm(filler);
    if (!c.process(3)) await c.startBroker(3);
    await waitIsrFull(c, 'full', 0, 60_000);
    await waitIsrFull(c, 'full', 1, 60_000);
    const r = await w.finish();
    console.log(summary('disk full', r, [failover]));
    expect(r.report).toEqual(CLEAN);
  }, 150_000);
});
