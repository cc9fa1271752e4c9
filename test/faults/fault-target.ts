/**
 * What a fault scenario (scenarios.ts) needs from a cluster whose nodes each run in their own
 * network namespace: the ClusterTarget protocol view plus the fault levers (cuts through `net`,
 * SIGSTOP, the log dirs, the active controller). Runnel (fault-cluster.ts: etcd + 3 brokers) and
 * Apache Kafka (kafka-fault-cluster.ts: 3 combined KRaft broker+controller nodes) implement it, so
 * the vitest tests (Runnel) and bench/cluster/faults.ts (both) run the same scenario bodies.
 *
 * Node names in `net`: `b<id>` for the broker with node id <id>; `metadataNodes` are the other
 * nodes of the metadata quorum (Runnel: the etcd members e1..; Kafka: none, its quorum is on the
 * broker nodes themselves), which an "isolated" node is cut from too.
 */
import { type ClusterTarget, type PartitionState, leads, partitions, upBrokers, waitUntil } from '../helpers/cluster-target.js';
import type { FaultNet } from './netns.js';

export interface FaultTarget extends ClusterTarget {
  readonly net: FaultNet;
  readonly metadataNodes: readonly string[];
  /** Broker `id`'s log dir: partition directories `<topic>-<n>` in Kafka's on-disk format. */
  dataDir(id: number): string;
  /** SIGSTOP: the process keeps its sockets and answers nothing (a long GC pause). */
  freeze(id: number): void;
  thaw(id: number): void;
  /**
   * The active controller as node `asked` knows it (Runnel: Metadata's controllerId; Kafka: the
   * active KRaft controller, from DescribeCluster on its controller listener).
   */
  controller(asked?: number): Promise<number>;
  /** Resolves with broker `id`'s exit code once its process exited by itself; null when it is not running. */
  exited(id: number): Promise<number | null> | null;
  /** Recent WARN/ERROR lines of broker `id`'s log (for a failure report). */
  logTail(id: number, n?: number): string[];
}

/** Options a scenario starts its cluster with; each target adds its own settings (see the bench). */
export interface FaultStartOptions {
  /** Brokers whose log dir is a tmpfs of this many MiB (a disk that fills). */
  tmpfsMiB?: Record<number, number>;
  /** Brokers whose log dir is an ext4 loop disk of this many MiB (a disk net.slowDisk() can slow). */
  loopDiskMiB?: Record<number, number>;
  /** Runnel-only broker configs a scenario needs (e.g. runnel.log.dir.min.free.bytes); Kafka ignores them. */
  runnelProps?: Record<string, string | number | boolean>;
}

export type StartFaultTarget = (opts: FaultStartOptions) => Promise<FaultTarget>;

/**
 * Like waitPartition (cluster-target.ts), asking only the brokers `askers` (default: all up): an
 * isolated broker's view is stale by design and must not be waited for.
 */
export async function waitPartitionSeenBy(c: ClusterTarget, topic: string, partition: number, ok: (p: PartitionState) => boolean, askers = upBrokers(c), timeoutMs = 30_000): Promise<PartitionState> {
  return waitUntil(`${topic}-${partition} as brokers ${askers.join(',')} see it`, async () => {
    const views = await Promise.all(askers.map(async (id) => (await partitions(c, topic, id)).find((p) => p.partition === partition)));
    const first = views[0];
    if (!first || views.some((v) => !v || v.leader !== first.leader || v.leaderEpoch !== first.leaderEpoch || v.isr.join() !== first.isr.join())) return undefined;
    if (first.leader < 0 || !ok(first) || !askers.includes(first.leader)) return undefined;
    return (await leads(c, first.leader, topic, partition)) ? first : undefined;
  }, timeoutMs, 200);
}

/** Waits until every node of `askers` (default: all up) names the same live controller other than `not`. */
export async function waitController(c: FaultTarget, not?: number, askers = upBrokers(c), timeoutMs = 30_000): Promise<number> {
  return waitUntil('one live controller', async () => {
    const ids = await Promise.all(askers.map((id) => c.controller(id)));
    const x = ids[0]!;
    return ids.every((y) => y === x) && x > 0 && x !== not && c.isUp(x) ? x : undefined;
  }, timeoutMs, 200);
}
