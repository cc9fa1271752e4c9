/**
 * Failover time (issue 16): the time from SIGKILL of a partition's leader to the first produce
 * that its successor acknowledges, repeated over N kills, against any ClusterTarget
 * (test/helpers/cluster-target.ts).
 *
 * Per kill:
 *  1. the topic (RF=3, min.insync.replicas=2, one partition) has its full ISR; its leader L is read
 *     from Metadata;
 *  2. a producer sends one small record at a time to partition 0, acks=all, request timeout
 *     `produceTimeoutMs`, at most one every `intervalMs`; on any error, a closed connection or a
 *     refused connect it re-reads Metadata (from a broker other than L) at once and retries every
 *     `intervalMs`: a client with no backoff worth the name, so the figure is the cluster's and not
 *     a client's retry policy (Kafka's clients wait retry.backoff.ms=100 ms and up to
 *     metadata.max.age.ms between attempts);
 *  3. L is SIGKILLed (killBroker); the clock starts just before the call (so it includes the
 *     few ms the target takes to deliver the signal, reported as killCallMs);
 *  4. it stops at the first acknowledged produce from a broker other than L: failoverMs. Also
 *     reported: electedMs, when Metadata first named another leader;
 *  5. L restarts on its data (startBroker) and the bench waits for the full ISR again.
 *
 * The raw protocol client is our own codecs over a socket (test/helpers/raw-client.ts), the same
 * for every target.
 */
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { errorName } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import { createTopicReady, partitions, sleep, upBrokers, waitIsrFull, type ClusterTarget } from '../../test/helpers/cluster-target.js';

export interface FailoverOptions {
  kills: number;
  /** Produce request timeout (timeout_ms), and the client's wait for an answer is this + 2 s. */
  produceTimeoutMs?: number;
  /** The producer's pace and retry interval. */
  intervalMs?: number;
  /** Give up on one kill after this long without an acknowledged produce on a new leader. */
  giveUpMs?: number;
  log?: (line: string) => void;
}

export interface KillSample {
  killed: number;
  newLeader: number;
  /** SIGKILL (the call) -> first produce acknowledged by the new leader. */
  failoverMs: number;
  /** SIGKILL -> Metadata names another leader. */
  electedMs: number | null;
  /** How long killBroker took to return (the signal's delivery and the target's bookkeeping). */
  killCallMs: number;
  /** Failed produces between the kill and the first new-leader ack, by error name ('connection': refused, closed or timed out). */
  errors: Record<string, number>;
  /** Restart -> the killed broker back in the ISR. */
  rejoinMs: number;
}

export interface FailoverResult {
  kills: number;
  samples: KillSample[];
  p50: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
}

/** The value at quantile q (nearest rank) of the sorted values. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const TOPIC = 'failover-bench';

/** A connection to one broker that tolerates the broker dying under it. */
class LeaderLink {
  private raw: RawClient | null = null;
  private id = -1;

  constructor(private readonly cluster: ClusterTarget) {}

  async to(id: number): Promise<RawClient> {
    if (this.raw && !this.raw.closed && this.id === id) return this.raw;
    this.close();
    const e = this.cluster.endpoint(id);
    this.raw = await RawClient.connect(e.host, e.port);
    this.id = id;
    return this.raw;
  }

  close(): void {
    this.raw?.close();
    this.raw = null;
    this.id = -1;
  }
}

/** One request with a deadline: null when the connection closed or the deadline passed (the connection is then dropped). */
async function within<T>(raw: RawClient, ms: number, fn: (raw: RawClient) => Promise<T | null>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      raw.close();
      resolve(null);
    }, ms);
  });
  try {
    return await Promise.race([fn(raw).catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The leader of partition 0 as broker `via` sees it (-1 when unknown or unreachable). */
async function leaderVia(cluster: ClusterTarget, via: number): Promise<number> {
  try {
    return (await partitions(cluster, TOPIC, via))[0]?.leader ?? -1;
  } catch {
    return -1;
  }
}

async function measureOneKill(cluster: ClusterTarget, opts: Required<Omit<FailoverOptions, 'log'>>, seq: { n: number }): Promise<KillSample> {
  const before = await waitIsrFull(cluster, TOPIC, 0);
  const killed = before.leader;
  const others = upBrokers(cluster).filter((id) => id !== killed);
  const link = new LeaderLink(cluster);
  const errors: Record<string, number> = {};
  let leader = killed;
  let electedMs: number | null = null;
  let t0 = 0;
  let stop = false;
  let acked: { at: number; by: number } | null = null;

  const produceOnce = async (): Promise<number> => {
    const raw = await link.to(leader);
    const records = buildBatchSync([{ key: null, value: `r${seq.n++}`, timestamp: Date.now() }]);
    const r: any = await within(raw, opts.produceTimeoutMs + 2000, (c) =>
      c.request(0, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: opts.produceTimeoutMs,
        topicData: [newProduceRequestTopic({ name: TOPIC, partitionData: [newProduceRequestPartition({ index: 0, records })] })],
      }),
    );
    return r === null ? -1 : r.responses[0].partitionResponses[0].errorCode;
  };

  // The producer: steady before the kill, then retrying until the new leader acknowledges.
  const producer = (async () => {
    let nextMeta = 0;
    while (!stop) {
      const started = performance.now();
      let code: number;
      try {
        code = await produceOnce();
      } catch {
        code = -1; // connect refused
      }
      if (code === 0 && t0 > 0 && leader !== killed) {
        acked = { at: performance.now(), by: leader };
        return;
      }
      if (code !== 0) {
        if (t0 > 0) {
          const name = code < 0 ? 'connection' : errorName(code);
          errors[name] = (errors[name] ?? 0) + 1;
        }
        link.close();
        if (performance.now() >= nextMeta) {
          // Ask the brokers that are not being killed; the first one that names a leader wins.
          for (const via of others) {
            const l = await leaderVia(cluster, via);
            if (l >= 0) {
              if (l !== killed && electedMs === null && t0 > 0) electedMs = performance.now() - t0;
              leader = l;
              break;
            }
          }
          nextMeta = performance.now() + opts.intervalMs;
        }
      }
      const wait = opts.intervalMs - (performance.now() - started);
      if (wait > 0) await sleep(wait);
    }
  })();

  await sleep(300); // a few acknowledged produces to the old leader first
  t0 = performance.now();
  await cluster.killBroker(killed);
  const killCallMs = performance.now() - t0;
  const deadline = t0 + opts.giveUpMs;
  while (acked === null && performance.now() < deadline) await sleep(5);
  stop = true;
  await producer;
  link.close();
  if (acked === null) throw new Error(`no produce acknowledged by a new leader within ${opts.giveUpMs} ms of killing broker ${killed}`);
  const result = acked as { at: number; by: number };

  const r0 = performance.now();
  await cluster.startBroker(killed);
  await waitIsrFull(cluster, TOPIC, 0, 120_000);
  return { killed, newLeader: result.by, failoverMs: result.at - t0, electedMs, killCallMs, errors, rejoinMs: performance.now() - r0 };
}

/** Creates the topic, then kills its leader `kills` times; see the file header. */
export async function measureFailover(cluster: ClusterTarget, options: FailoverOptions): Promise<FailoverResult> {
  const opts = { produceTimeoutMs: 1000, intervalMs: 10, giveUpMs: 120_000, ...options };
  const log = options.log ?? (() => undefined);
  await createTopicReady(cluster, { name: TOPIC, partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
  const samples: KillSample[] = [];
  const seq = { n: 0 };
  for (let i = 0; i < opts.kills; i++) {
    const s = await measureOneKill(cluster, opts, seq);
    samples.push(s);
    log(`kill ${i + 1}/${opts.kills}: broker ${s.killed} -> ${s.newLeader}: first ack after ${s.failoverMs.toFixed(0)} ms (elected in Metadata after ${s.electedMs?.toFixed(0) ?? '?'} ms; rejoined in ${(s.rejoinMs / 1000).toFixed(1)} s)`);
  }
  const sorted = samples.map((s) => s.failoverMs).sort((a, b) => a - b);
  return {
    kills: samples.length,
    samples,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    min: sorted[0]!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}
