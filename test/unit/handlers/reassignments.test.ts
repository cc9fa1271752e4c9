/**
 * AlterPartitionReassignments (45) and ListPartitionReassignments (46) handlers: a single node
 * keeps its answers (its one assignment is a no-op, everything else Kafka's per-partition error,
 * nothing ever listed); in a cluster (ClusterNode over a metadata image) the entries go to the
 * cluster in request order, duplicates included, and the list comes from the image grouped by
 * topic. The etcd side is covered by test/cluster/reassignment.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import type { AlterPartitionReassignmentsResponse, ListPartitionReassignmentsResponse } from '../../../protocol/generated/index.js';
import { ClusterNode } from '../../../src/cluster/cluster-node.js';
import { EMPTY_IMAGE, type ClusterImage, type PartitionImage } from '../../../src/cluster/metadata-image.js';
import type { ReassignmentRequest } from '../../../src/cluster/node.js';
import alterHandler from '../../../src/handlers/45-alter-partition-reassignments.js';
import { fakeBroker } from './fakes.js';

const ALTER = 45;
const LIST = 46;

const alterReq = (topics: Array<[string, Array<[number, number[] | null]>]>) => ({
  timeoutMs: 30_000,
  topics: topics.map(([name, parts]) => ({ name, partitions: parts.map(([partitionIndex, replicas]) => ({ partitionIndex, replicas })) })),
});
const answers = (r: AlterPartitionReassignmentsResponse) => r.responses.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.errorCode, p.errorMessage]));

describe('single node', () => {
  it('AlterPartitionReassignments: [node.id] is a no-op, anything else Kafka\'s error', async () => {
    const b = fakeBroker();
    b.topics.add('t', 1);
    const r = await b.handle<AlterPartitionReassignmentsResponse>(ALTER, 0, alterReq([['t', [[0, [1]], [0, [1, 2]], [0, null], [3, [1]]]], ['nope', [[0, [1]]]]]));
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null });
    expect(answers(r)).toEqual([
      ['t', 0, ErrorCode.NONE, null],
      ['t', 0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 2, but no such broker is registered.'],
      ['t', 0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null],
      ['t', 3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition t:3.'],
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find a topic named nope.'],
    ]);
  });

  it('ListPartitionReassignments: never anything in progress', async () => {
    const b = fakeBroker();
    b.topics.add('t', 1);
    for (const topics of [null, [{ name: 't', partitionIndexes: [0] }]]) {
      expect(await b.handle<ListPartitionReassignmentsResponse>(LIST, 0, { timeoutMs: 1000, topics })).toMatchObject({ errorCode: ErrorCode.NONE, topics: [] });
    }
  });
});

describe('cluster (ClusterNode)', () => {
  const part = (topic: string, partition: number, replicas: number[], adding: number[], removing: number[]): PartitionImage => ({
    topic, partition, leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 1, replicas, isr: replicas, adding, removing, modRevision: 1,
  });
  const image: ClusterImage = {
    ...EMPTY_IMAGE,
    partitions: new Map([
      ['a', new Map([[0, part('a', 0, [1, 3, 2], [3], [2])], [1, part('a', 1, [1, 2], [], [])], [2, part('a', 2, [2, 1], [], [1])]])],
      ['b', new Map([[0, part('b', 0, [2, 3], [], [])]])],
    ]),
  };

  it('AlterPartitionReassignments: every entry to the cluster, answers in request order', async () => {
    const b = fakeBroker();
    const seen: ReassignmentRequest[] = [];
    const node = new ClusterNode(1, () => image, () => [{ name: 'PLAINTEXT', host: 'h', port: 9092 }], {
      alterPartitionReassignments: async (moves) => {
        seen.push(...moves);
        return moves.map((m, i) => ({ ...m, errorCode: i === 1 ? ErrorCode.INVALID_REPLICA_ASSIGNMENT : ErrorCode.NONE, message: i === 1 ? 'no' : null }));
      },
    });
    const r = await b.handle<AlterPartitionReassignmentsResponse>(ALTER, 0, alterReq([['a', [[0, [1, 3]], [0, [9]]]], ['zz', [[4, null]]]]), { node });
    expect(seen).toEqual([
      { topic: 'a', partition: 0, replicas: [1, 3] },
      { topic: 'a', partition: 0, replicas: [9] },
      { topic: 'zz', partition: 4, replicas: null },
    ]);
    expect(answers(r)).toEqual([
      ['a', 0, ErrorCode.NONE, null],
      ['a', 0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'no'],
      ['zz', 4, ErrorCode.NONE, null],
    ]);
  });

  it('AlterPartitionReassignments: etcd unreachable is REQUEST_TIMED_OUT on every partition', async () => {
    const b = fakeBroker();
    const node = new ClusterNode(1, () => image, () => [], {
      alterPartitionReassignments: async () => {
        throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'etcd did not answer; retry');
      },
    });
    const req = alterReq([['a', [[0, [1]], [1, null]]]]);
    // The connection answers a handler's KafkaError with the handler's errorResponse.
    await expect(b.handle(ALTER, 0, req, { node })).rejects.toMatchObject({ code: ErrorCode.REQUEST_TIMED_OUT });
    const r = alterHandler.errorResponse!(b.ctx(ALTER, 0, { node }), req as never, ErrorCode.REQUEST_TIMED_OUT, 'etcd did not answer; retry') as AlterPartitionReassignmentsResponse;
    expect(answers(r).map((a) => a[2])).toEqual([ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REQUEST_TIMED_OUT]);
  });

  it('ListPartitionReassignments: from the image, grouped by topic; unknown and idle partitions left out', async () => {
    const b = fakeBroker();
    const node = new ClusterNode(1, () => image, () => []);
    const all = await b.handle<ListPartitionReassignmentsResponse>(LIST, 0, { timeoutMs: 1000, topics: null }, { node });
    expect(all).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null });
    expect(all.topics).toEqual([
      {
        name: 'a',
        partitions: [
          { partitionIndex: 0, replicas: [1, 3, 2], addingReplicas: [3], removingReplicas: [2] },
          { partitionIndex: 2, replicas: [2, 1], addingReplicas: [], removingReplicas: [1] },
        ],
      },
    ]);
    const some = await b.handle<ListPartitionReassignmentsResponse>(LIST, 0, { timeoutMs: 1000, topics: [{ name: 'a', partitionIndexes: [2, 1, 9] }, { name: 'b', partitionIndexes: [0] }, { name: 'c', partitionIndexes: [0] }] }, { node });
    expect(some.topics).toEqual([{ name: 'a', partitions: [{ partitionIndex: 2, replicas: [2, 1], addingReplicas: [], removingReplicas: [1] }] }]);
  });
});
