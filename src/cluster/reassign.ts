/**
 * AlterPartitionReassignments in a cluster (docs/cluster.md, "Reassignment"): the rules are reassignment.ts's; this file reads the partition from the metadata
 * image, checks the request as Kafka's controller does, and writes the new state with a
 * compare-and-swap on the partition key, like every partition write. Any broker can do it: etcd's
 * compare makes it atomic against the controller and the partition's leader (ISR changes). A write
 * that lost a race is planned again on the state read back, a few times, then answered
 * REQUEST_TIMED_OUT (retriable). When etcd stops answering, that partition and the ones after it
 * get REQUEST_TIMED_OUT; those before it keep their answers (they were written).
 *
 * Kafka's answers, per partition, in request order:
 *  - unknown topic: UNKNOWN_TOPIC_OR_PARTITION "Unable to find a topic named T."
 *  - unknown partition: UNKNOWN_TOPIC_OR_PARTITION "Unable to find partition T:P."
 *  - null replicas with nothing in progress: NO_REASSIGNMENT_IN_PROGRESS
 *  - empty list, unknown broker, broker twice: INVALID_REPLICA_ASSIGNMENT (reassignment.ts checkTarget)
 *
 * "Known" brokers are the registered ones plus any broker a partition still names as a replica: a
 * broker that is down has no registration key in etcd (its lease is gone), where KRaft keeps a
 * fenced broker registered; Kafka accepts a reassignment to a fenced broker, and so do we.
 */
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import { type PartitionWrite, livenessOf, uncleanFor, writePartitions } from './controller.js';
import type { EtcdStore } from './etcd.js';
import { isEtcdError } from './etcd-types.js';
import type { ClusterImage } from './metadata-image.js';
import { type PartitionState, decodePartitionState, partitionKey } from './records.js';
import { cancelReassignment, checkTarget, startReassignment } from './reassignment.js';

/** Attempts per partition before a write that keeps losing races is answered REQUEST_TIMED_OUT. */
const MAX_ATTEMPTS = 3;

export interface ReassignmentMove {
  topic: string;
  partition: number;
  /** The target replicas; null cancels the reassignment in progress. */
  replicas: number[] | null;
}

export interface ReassignmentOutcome {
  topic: string;
  partition: number;
  errorCode: ErrorCodeValue;
  message: string | null;
}

/** The brokers a target list may name: registered, or still named by some partition (down for now). */
export function knownBrokers(image: ClusterImage): Set<number> {
  const known = new Set(image.brokers.keys());
  for (const partitions of image.partitions.values()) for (const p of partitions.values()) for (const r of p.replicas) known.add(r);
  return known;
}

type Stored = PartitionState & { modRevision: number };
type Answer = { errorCode: ErrorCodeValue; message: string | null; revision: number };

/**
 * Applies the moves in order, each written on its own; returns one outcome per move and the etcd
 * revision of the last write (0 when nothing was written), for the caller to wait on.
 * `uncleanDefault` is the broker's unclean.leader.election.enable (a topic override wins).
 */
export async function alterReassignments(
  store: EtcdStore,
  image: ClusterImage,
  moves: readonly ReassignmentMove[],
  uncleanDefault: boolean,
): Promise<{ outcomes: ReassignmentOutcome[]; revision: number }> {
  let known: Set<number> | null = null;
  let revision = 0;
  let unreachable: string | null = null;
  const outcomes: ReassignmentOutcome[] = [];
  for (const move of moves) {
    const { topic, partition } = move;
    const answer = (errorCode: ErrorCodeValue, message: string | null) => outcomes.push({ topic, partition, errorCode, message });
    if (!image.topics.has(topic)) {
      answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${topic}.`);
      continue;
    }
    const state = image.partitions.get(topic)?.get(partition);
    if (!state) {
      answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topic}:${partition}.`);
      continue;
    }
    const refused = move.replicas === null ? null : checkTarget(move.replicas, (known ??= knownBrokers(image)));
    if (refused) {
      answer(refused.errorCode, refused.message);
      continue;
    }
    if (unreachable !== null) {
      answer(ErrorCode.REQUEST_TIMED_OUT, unreachable);
      continue;
    }
    try {
      const a = await writeMove(store, image, move, state, uncleanFor(image, topic, uncleanDefault));
      revision = Math.max(revision, a.revision);
      answer(a.errorCode, a.message);
    } catch (err) {
      if (!isEtcdError(err)) throw err;
      // The partitions before this one were written and keep their answers; this one and the rest
      // are not tried (each would wait for etcd's timeout again). Retriable.
      unreachable = `etcd did not answer (${err.message}); retry`;
      answer(ErrorCode.REQUEST_TIMED_OUT, unreachable);
    }
  }
  return { outcomes, revision };
}

/** One partition's move: planned on `state`, written by CAS, planned again on a lost race. */
async function writeMove(store: EtcdStore, image: ClusterImage, move: ReassignmentMove, first: Stored, unclean: boolean): Promise<Answer> {
  const { topic, partition } = move;
  const live = livenessOf(image);
  let state: Stored | null = first;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!state) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find partition ${topic}:${partition}.`, revision: 0 };
    const next = move.replicas === null ? cancelReassignment(state, `${topic}:${partition}`, live, unclean) : startReassignment(state, move.replicas, live);
    // Already so (Kafka writes nothing and answers NONE), or refused.
    if (next === null) return { errorCode: ErrorCode.NONE, message: null, revision: 0 };
    if ('errorCode' in next) return { ...next, revision: 0 };
    const write: PartitionWrite = { topic, partition, modRevision: state.modRevision, next };
    const revision = await writePartitions(store, [write], [], 2);
    if (revision !== null) return { errorCode: ErrorCode.NONE, message: null, revision };
    state = await readPartition(store, topic, partition);
  }
  return { errorCode: ErrorCode.REQUEST_TIMED_OUT, message: `The partition ${topic}-${partition} kept changing; retry`, revision: 0 };
}

async function readPartition(store: EtcdStore, topic: string, partition: number): Promise<Stored | null> {
  const { kv } = await store.get(partitionKey(topic, partition));
  const decoded = kv ? decodePartitionState(kv.value) : null;
  return decoded && kv ? { ...decoded, modRevision: kv.modRevision } : null;
}
