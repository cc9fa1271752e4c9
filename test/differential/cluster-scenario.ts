/**
 * Issue 16's cluster differential scenario: one fixed sequence of raw requests, broker kills and
 * restarts against ANY 3-broker cluster (a ClusterTarget, test/helpers/cluster-target.ts, with
 * brokers 1, 2, 3), returning what a client observes, normalised (cluster-requests.ts) so that
 * two runs, or two implementations, can be compared leaf by leaf.
 *
 *   const answers = await runClusterScenario(cluster);   // { phase: answer }, phases in order
 *
 * cluster-kafka.test.ts runs it against Apache Kafka and keeps Kafka's answers in
 * cluster-kafka-answers.json; a Runnel cluster is checked by running the same function against it
 * and comparing with those answers (expectSamePhases('cluster', { runnel, kafka }), differences
 * listed in known-differences.ts under scenarios `cluster/<phase>`).
 *
 * Phases (topic `rf3`: partitions 0, 1, 2 on replicas [1,2,3], [2,3,1], [3,1,2]):
 *   metadata            Metadata from every broker (must agree) and DescribeCluster v0/v1
 *   not-leader          Produce v9 and v11 (KIP-951 current leader + endpoints) to a follower,
 *                       Fetch v10 and v12 and ListOffsets to a follower (a consumer without a rack)
 *   epochs              Fetch with the current, a future (UNKNOWN_LEADER_EPOCH) leader epoch
 *   failover            SIGKILL broker 1 (leader of partition 0): the new leader, the ISR, the
 *                       brokers list, produce to the new leader and to a follower
 *   stale-epoch         Fetch with the old epoch at the new leader (FENCED_LEADER_EPOCH)
 *   restart             broker 1 back on its data: it rejoins every ISR, leadership unchanged
 *   elect-preferred     ElectLeaders (preferred) brings broker 1 back as leader of partition 0;
 *                       the demoted leader's answers to Produce and to Fetch at its old epoch;
 *                       ELECTION_NOT_NEEDED where the preferred leader leads; unknown partitions
 *   reassign-rf         AlterPartitionReassignments [1,2,3] -> [1,2] (RF 3 -> 2), then listed
 *   reassign-move       topic `move` [1,2] -> [1,3] while broker 3 is down: in progress
 *                       (ListPartitionReassignments), cancelled, invalid targets, started again,
 *                       completed once broker 3 returns
 *   not-enough-replicas topic `minisr` (min.insync.replicas=2): brokers 2 and 3 killed; acks=all
 *                       gets NOT_ENOUGH_REPLICAS, acks=1 succeeds
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawClient } from '../helpers/raw-client.js';
import { createTopicReady, partitions, waitPartition, waitUntil, type ClusterTarget, type PartitionState } from '../helpers/cluster-target.js';
import { err } from './harness.js';
import { buildBatchSync, listOffsets } from './requests.js';
import {
  Normaliser,
  PREFERRED,
  UNCLEAN,
  describeClusterAnswer,
  electAnswer,
  fetchAnswer,
  listReassignmentsAnswer,
  metadataAnswer,
  produceAnswer,
  reassignAnswer,
} from './cluster-requests.js';

export const RF3 = 'rf3';
export const MOVE = 'move';
export const MINISR = 'minisr';

/** The phases, in the order the scenario runs them. */
export const CLUSTER_PHASES = ['metadata', 'not-leader', 'epochs', 'failover', 'stale-epoch', 'restart', 'elect-preferred', 'reassign-rf', 'reassign-move', 'not-enough-replicas'] as const;
export type ClusterPhase = (typeof CLUSTER_PHASES)[number];
export type ClusterAnswers = Record<ClusterPhase, unknown>;

/** Apache Kafka's answers, as cluster-kafka.test.ts last recorded them (RUNNEL_CLUSTER_ANSWERS=write). */
export const KAFKA_CLUSTER_ANSWERS_FILE = join(import.meta.dirname, 'cluster-kafka-answers.json');

export interface SavedClusterAnswers {
  /** The Kafka release that gave them. */
  kafkaVersion: string;
  answers: ClusterAnswers;
}

/** Kafka's recorded answers: the `kafka` side when a Runnel cluster runs the scenario. */
export function loadKafkaClusterAnswers(): SavedClusterAnswers {
  return JSON.parse(readFileSync(KAFKA_CLUSTER_ANSWERS_FILE, 'utf8')) as SavedClusterAnswers;
}

/** Progress notes (phase timings) for a test's log; not part of the answers. */
export type ScenarioLog = (line: string) => void;

const record = (i: number): Buffer => buildBatchSync([{ key: `k${i}`, value: `v${i}`, timestamp: 1_700_000_000_000 + i }]);

async function on<T>(cluster: ClusterTarget, id: number, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const e = cluster.endpoint(id);
  const c = await RawClient.connect(e.host, e.port);
  // Longer than any request's own timeoutMs (10 s), so a loaded broker's answer is still recorded
  // (in CI a Kafka JVM once took over 5 s to answer a Produce).
  c.responseTimeoutMs = 20_000;
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Waits until no reassignment of the topic's partition is listed and its replicas are `replicas`. */
async function waitReassigned(cluster: ClusterTarget, via: number, topic: string, partition: number, replicas: number[]): Promise<PartitionState> {
  await waitUntil(`${topic}-${partition} reassignment to finish`, async () => {
    const l: any = await on(cluster, via, (c) => listReassignmentsAnswer(c, [{ name: topic, partitions: [partition] }]));
    return Object.keys(l.reassignments).length === 0 ? true : undefined;
  });
  return waitPartition(cluster, topic, partition, (p) => p.replicas.join() === replicas.join() && p.isr.length === replicas.length, 60_000, `replicas ${replicas}`);
}

export interface ClusterScenarioOptions {
  /** Phases not run (their answers are absent): a cluster that lacks what they exercise. */
  skip?: readonly ClusterPhase[];
}

export async function runClusterScenario(cluster: ClusterTarget, log: ScenarioLog = () => undefined, opts: ClusterScenarioOptions = {}): Promise<Partial<ClusterAnswers>> {
  if (cluster.brokerIds.join() !== '1,2,3') throw new Error(`the cluster scenario needs brokers 1, 2, 3 (got ${cluster.brokerIds.join(', ')})`);
  const n = new Normaliser(cluster);
  const out: Partial<ClusterAnswers> = {};
  let t0 = Date.now();
  const done = (phase: ClusterPhase, answer: unknown): void => {
    out[phase] = answer;
    log(`${phase}: ${Date.now() - t0} ms`);
    t0 = Date.now();
  };
  const skipped = (phase: ClusterPhase): boolean => {
    if (!opts.skip?.includes(phase)) return false;
    log(`${phase}: skipped`);
    return true;
  };
  const meta = (via: number, topics = [RF3]): Promise<unknown> => on(cluster, via, (c) => metadataAnswer(c, n, topics));

  await createTopicReady(cluster, { name: RF3, assignments: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] });
  log(`create ${RF3}: ${Date.now() - t0} ms`);
  t0 = Date.now();

  {
    const views = await Promise.all([1, 2, 3].map((id) => meta(id)));
    done('metadata', {
      metadata: views[0],
      sameOnEveryBroker: views.every((v) => JSON.stringify(v) === JSON.stringify(views[0])),
      describeClusterV0: await on(cluster, 2, (c) => describeClusterAnswer(c, n, 0)),
      describeClusterV1Brokers: await on(cluster, 2, (c) => describeClusterAnswer(c, n, 1, 1)),
      describeClusterV1Controllers: await on(cluster, 2, (c) => describeClusterAnswer(c, n, 1, 2)),
    });
  }

  done('not-leader', {
    produceToLeader: await on(cluster, 1, (c) => produceAnswer(c, n, RF3, 0, record(0), { version: 11 })),
    produceToFollowerV9: await on(cluster, 2, (c) => produceAnswer(c, n, RF3, 0, record(1), { version: 9 })),
    produceToFollowerV11: await on(cluster, 2, (c) => produceAnswer(c, n, RF3, 0, record(1), { version: 11 })),
    produceToFollowerAcks1: await on(cluster, 3, (c) => produceAnswer(c, n, RF3, 0, record(1), { version: 11, acks: 1 })),
    // Fetch v11+ carries client metadata (the rack), and Kafka then lets a follower serve a
    // consumer up to the follower's high watermark (FetchParams.fetchOnlyLeader); before v11 only
    // the leader serves. Polled until the follower has learnt the high watermark of record 0.
    fetchFromFollowerV10: await on(cluster, 2, (c) => fetchAnswer(c, RF3, 0, { version: 10 })),
    fetchFromFollowerV12: await waitUntil('the follower to serve record 0', () =>
      on(cluster, 2, async (c) => {
        const a = (await fetchAnswer(c, RF3, 0)) as { errorCode: string; highWatermark: number };
        return a.errorCode !== 'NONE' || a.highWatermark >= 1 ? a : undefined;
      }),
    ),
    listOffsetsFromFollower: await on(cluster, 3, async (c) => err((await listOffsets(c, RF3, [{ partition: 0, timestamp: -1 }])).topics[0].partitions[0].errorCode)),
  });

  {
    const p0 = (await partitions(cluster, RF3)).find((p) => p.partition === 0)!;
    done('epochs', {
      leaderEpoch: p0.leaderEpoch,
      current: await on(cluster, 1, (c) => fetchAnswer(c, RF3, 0, { currentLeaderEpoch: p0.leaderEpoch })),
      future: await on(cluster, 1, (c) => fetchAnswer(c, RF3, 0, { currentLeaderEpoch: p0.leaderEpoch + 1 })),
      unchecked: await on(cluster, 1, (c) => fetchAnswer(c, RF3, 0, { currentLeaderEpoch: -1 })),
    });
  }

  let oldEpoch: number;
  {
    oldEpoch = (await partitions(cluster, RF3)).find((p) => p.partition === 0)!.leaderEpoch;
    const killedAt = Date.now();
    await cluster.killBroker(1);
    const p0 = await waitPartition(cluster, RF3, 0, (p) => p.leader !== 1 && !p.isr.includes(1), 60_000, 'a leader other than broker 1');
    log(`failover: partition 0 led by broker ${p0.leader} after ${Date.now() - killedAt} ms`);
    await waitPartition(cluster, RF3, 2, (p) => !p.isr.includes(1), 60_000, 'broker 1 out of the ISR');
    const follower = p0.isr.find((id) => id !== p0.leader)!;
    done('failover', {
      metadata: await meta(p0.leader),
      describeCluster: await on(cluster, p0.leader, (c) => describeClusterAnswer(c, n, 0)),
      produceToNewLeader: await on(cluster, p0.leader, (c) => produceAnswer(c, n, RF3, 0, record(2), { version: 11 })),
      produceToFollower: await on(cluster, follower, (c) => produceAnswer(c, n, RF3, 0, record(3), { version: 11 })),
    });
  }

  {
    const p0 = (await partitions(cluster, RF3)).find((p) => p.partition === 0)!;
    done('stale-epoch', {
      oldEpoch,
      newEpoch: p0.leaderEpoch,
      fetchWithOldEpoch: await on(cluster, p0.leader, (c) => fetchAnswer(c, RF3, 0, { currentLeaderEpoch: oldEpoch })),
      fetchWithNewEpoch: await on(cluster, p0.leader, (c) => fetchAnswer(c, RF3, 0, { currentLeaderEpoch: p0.leaderEpoch })),
      fetchWithFutureEpoch: await on(cluster, p0.leader, (c) => fetchAnswer(c, RF3, 0, { currentLeaderEpoch: p0.leaderEpoch + 1 })),
    });
  }

  {
    await cluster.startBroker(1);
    for (const p of [0, 1, 2]) await waitPartition(cluster, RF3, p, (s) => s.isr.length === 3, 60_000, 'broker 1 back in the ISR');
    done('restart', { metadata: await meta(1) });
  }

  {
    const first = await on(cluster, 3, (c) => electAnswer(c, PREFERRED, [{ topic: RF3, partitions: [0, 1, 2] }]));
    const p0 = await waitPartition(cluster, RF3, 0, (p) => p.leader === 1, 30_000, 'broker 1 leading again');
    done('elect-preferred', {
      first,
      leaderAfter: p0.leader,
      metadata: await meta(2),
      // Broker 2 led partition 0 at epoch 1 and is a follower again: a client that still thinks so.
      produceToDemotedLeader: await on(cluster, 2, (c) => produceAnswer(c, n, RF3, 0, record(4), { version: 11 })),
      fetchFromDemotedLeaderOldEpoch: await on(cluster, 2, (c) => fetchAnswer(c, RF3, 0, { currentLeaderEpoch: p0.leaderEpoch - 1 })),
      again: await on(cluster, 1, (c) => electAnswer(c, PREFERRED, [{ topic: RF3, partitions: [0] }])),
      uncleanWithLiveLeader: await on(cluster, 1, (c) => electAnswer(c, UNCLEAN, [{ topic: RF3, partitions: [1] }])),
      unknownPartition: await on(cluster, 1, (c) => electAnswer(c, PREFERRED, [{ topic: RF3, partitions: [9] }])),
      unknownTopic: await on(cluster, 1, (c) => electAnswer(c, PREFERRED, [{ topic: 'no-such-topic', partitions: [0] }])),
      everyPartition: await on(cluster, 1, (c) => electAnswer(c, PREFERRED, null)),
    });
  }

  if (!skipped('reassign-rf')) {
    const alter = await on(cluster, 2, (c) => reassignAnswer(c, RF3, [{ partition: 0, replicas: [1, 2] }]));
    await waitReassigned(cluster, 2, RF3, 0, [1, 2]);
    done('reassign-rf', {
      alter,
      listedAfter: await on(cluster, 2, (c) => listReassignmentsAnswer(c, null)),
      metadata: await meta(3),
      cancelWhenNoneInProgress: await on(cluster, 1, (c) => reassignAnswer(c, RF3, [{ partition: 1, replicas: null }])),
    });
  }

  if (!skipped('reassign-move')) {
    await createTopicReady(cluster, { name: MOVE, assignments: [[1, 2]] });
    await cluster.killBroker(3);
    await waitPartition(cluster, RF3, 1, (p) => !p.isr.includes(3), 60_000, 'broker 3 out of the ISR');
    const answer: Record<string, unknown> = {};
    answer.alter = await on(cluster, 1, (c) => reassignAnswer(c, MOVE, [{ partition: 0, replicas: [1, 3] }]));
    // Nothing can complete it while broker 3 is down; wait until every running broker shows it.
    await waitUntil(`${MOVE}-0 in reassignment`, async () => ((await partitions(cluster, MOVE, 2))[0]!.replicas.length === 3 && (await partitions(cluster, MOVE, 1))[0]!.replicas.length === 3 ? true : undefined));
    answer.listedInProgress = await on(cluster, 2, (c) => listReassignmentsAnswer(c, null));
    answer.listedByTopic = await on(cluster, 2, (c) => listReassignmentsAnswer(c, [{ name: MOVE, partitions: [0, 5] }]));
    answer.metadataInProgress = await meta(1, [MOVE]);
    answer.cancel = await on(cluster, 1, (c) => reassignAnswer(c, MOVE, [{ partition: 0, replicas: null }]));
    await waitReassigned(cluster, 1, MOVE, 0, [1, 2]);
    answer.metadataCancelled = await meta(1, [MOVE]);
    answer.unknownBroker = await on(cluster, 1, (c) => reassignAnswer(c, MOVE, [{ partition: 0, replicas: [1, 99] }]));
    answer.duplicateBroker = await on(cluster, 1, (c) => reassignAnswer(c, MOVE, [{ partition: 0, replicas: [1, 1] }]));
    answer.emptyReplicas = await on(cluster, 1, (c) => reassignAnswer(c, MOVE, [{ partition: 0, replicas: [] }]));
    answer.unknownPartition = await on(cluster, 1, (c) => reassignAnswer(c, MOVE, [{ partition: 7, replicas: [1, 2] }]));
    answer.again = await on(cluster, 1, (c) => reassignAnswer(c, MOVE, [{ partition: 0, replicas: [1, 3] }]));
    await cluster.startBroker(3);
    await waitReassigned(cluster, 1, MOVE, 0, [1, 3]);
    await waitPartition(cluster, RF3, 1, (p) => p.isr.length === 3, 60_000, 'broker 3 back in the ISR');
    answer.metadataDone = await meta(2, [MOVE]);
    answer.listedDone = await on(cluster, 2, (c) => listReassignmentsAnswer(c, null));
    done('reassign-move', answer);
  }

  {
    await createTopicReady(cluster, { name: MINISR, assignments: [[1, 2, 3]], configs: { 'min.insync.replicas': '2' } });
    const answer: Record<string, unknown> = {};
    answer.allUp = await on(cluster, 1, (c) => produceAnswer(c, n, MINISR, 0, record(0), { version: 11 }));
    await Promise.all([cluster.killBroker(2), cluster.killBroker(3)]);
    await waitPartition(cluster, MINISR, 0, (p) => p.isr.join() === '1', 60_000, 'the ISR shrunk to broker 1');
    answer.metadata = await meta(1, [MINISR]);
    answer.acksAll = await on(cluster, 1, (c) => produceAnswer(c, n, MINISR, 0, record(1), { version: 11 }));
    answer.acks1 = await on(cluster, 1, (c) => produceAnswer(c, n, MINISR, 0, record(2), { version: 11, acks: 1 }));
    answer.describeCluster = await on(cluster, 1, (c) => describeClusterAnswer(c, n, 0));
    done('not-enough-replicas', answer);
  }
  return out;
}

/** The error name at `path` (e.g. 'not-leader.produceToFollowerV11.errorCode') of the answers, for assertions. */
export function at(answers: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), answers);
}
