/**
 * OffsetFetch (key 9), versions 0-10.
 *
 * A group's committed offsets: for the requested partitions (offset -1 and empty metadata where
 * nothing is committed, including unknown topics), or for every partition with a commit when the
 * topic list is null (v2+). Offsets are answered whatever the group's state, as Kafka does: simple
 * consumers use Kafka only for storage. requireStable (v7+) answers UNSTABLE_OFFSET_COMMIT for a
 * partition whose commit is still being written.
 *
 * Version notes: v0 (removed by Kafka 4.0, KIP-896; Kafka 2.x read it from ZooKeeper) is served
 * from __consumer_offsets exactly as v1, so it finds what OffsetCommit v0/v1 stored (old clients
 * still shipped by distributions; docs/compatibility.md). v2 top-level error and null = all topics,
 * v3 throttle, v5 leader epoch, v6 flexible, v7 requireStable, v8 several groups per request,
 * v9 member id/epoch (KIP-848; ignored for classic groups), v10 topics by id (KIP-516;
 * topic-ids.ts): a requested id no topic has is answered UNKNOWN_TOPIC_ID (offset -1), and "all
 * topics" lists the topics by their current id, leaving out offsets of topics that no longer exist.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on the group
 * (GROUP_AUTHORIZATION_FAILED), DESCRIBE on each topic (requested: TOPIC_AUTHORIZATION_FAILED;
 * all: hidden).
 */
import {
  newOffsetFetchResponse,
  newOffsetFetchResponseGroup,
  newOffsetFetchResponseGroupPartition,
  newOffsetFetchResponseGroupTopic,
  newOffsetFetchResponsePartition,
  newOffsetFetchResponseTopic,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchedOffset, GroupsPort } from '../groups/port.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, canGroup, topicDecisions } from './authz.js';
import { resolveTopicIds } from './topic-ids.js';

/**
 * Fetched offsets by topic: for requested partitions one entry per topic entry of the request (a
 * topic or partition named twice is answered twice, as Kafka does); for "all topics" grouped by
 * topic in first-seen order.
 */
function byTopic(offsets: FetchedOffset[], requested: Array<{ name: string; partitionIndexes: number[] }> | null): Array<[string, FetchedOffset[]]> {
  if (requested !== null) {
    let i = 0;
    return requested.map((t) => [t.name, offsets.slice(i, (i += t.partitionIndexes.length))]);
  }
  const out = new Map<string, FetchedOffset[]>();
  for (const o of offsets) {
    let list = out.get(o.topic);
    if (!list) out.set(o.topic, (list = []));
    list.push(o);
  }
  return [...out];
}

/**
 * One group's offsets, authorized as Kafka does: DESCRIBE on the group (else
 * GROUP_AUTHORIZATION_FAILED and no offsets), then DESCRIBE on each topic: a requested partition
 * of a topic the principal may not describe is TOPIC_AUTHORIZATION_FAILED, and "all topics" leaves
 * such topics out.
 */
function fetchGroup(
  ctx: RequestContext,
  groups: GroupsPort,
  groupId: string,
  topics: Array<{ name: string; partitionIndexes: number[] }> | null,
  requireStable: boolean,
  member: { memberId: string | null; memberEpoch: number } | null = null,
) {
  if (!canGroup(ctx, AclOperation.DESCRIBE, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, offsets: [] as FetchedOffset[] };
  const partitions = topics === null ? null : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const r = groups.fetchOffsets(groupId, partitions, requireStable, member);
  if (!ctx.authorizer.enabled) return r;
  const describable = topicDecisions(ctx, AclOperation.DESCRIBE);
  const denied = (o: FetchedOffset): FetchedOffset => ({ ...o, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
  const offsets = topics === null ? r.offsets.filter((o) => describable(o.topic)) : r.offsets.map((o) => (describable(o.topic) ? o : denied(o)));
  return { ...r, offsets };
}

/** v0 requests whose __consumer_offsets check ran (handle() runs again for them once it did). */
const offsetsTopicChecked = new WeakSet<OffsetFetchRequest>();

export default defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  key: 9,
  minVersion: 0,
  maxVersion: 10,
  handle(ctx, req) {
    // v0 read ZooKeeper in Kafka 2.x, which any broker could do before a group coordinator existed
    // (pre-0.8.2 clients such as kafka-python with api_version 0.8.1 never look one up): create
    // __consumer_offsets first, as a commit or FindCoordinator would.
    if (ctx.version === 0 && !offsetsTopicChecked.has(req)) {
      offsetsTopicChecked.add(req);
      const again = () => this.handle(ctx, req);
      return ctx.groups.ensureOffsetsTopic().then(again, again);
    }
    const v = ctx.version;
    const groups = ctx.groups;
    const requireStable = v >= 7 && req.requireStable;
    if (v >= 8) {
      return newOffsetFetchResponse({
        throttleTimeMs: 0,
        groups: req.groups.map((g) => {
          // v10: topic ids resolved to names once per topic entry (unknown: UNKNOWN_TOPIC_ID below).
          const unknownIds = v >= 10 && g.topics !== null ? resolveTopicIds(ctx, g.topics) : null;
          const r = fetchGroup(ctx, groups, g.groupId, g.topics, requireStable, v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null);
          let topics = byTopic(r.offsets, r.errorCode === ErrorCode.NONE ? g.topics : null).map(([name, list], i) => ({
            name,
            topicId: v < 10 ? null : g.topics !== null && r.errorCode === ErrorCode.NONE ? g.topics[i]!.topicId : (ctx.topics.get(name)?.id ?? null),
            list: unknownIds?.has(g.topics![i]!) ? list.map((o) => ({ ...o, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNKNOWN_TOPIC_ID })) : list,
          }));
          if (v >= 10) topics = topics.filter((t) => t.topicId !== null); // "all": a deleted topic has no id
          return newOffsetFetchResponseGroup({
            groupId: g.groupId,
            errorCode: r.errorCode,
            // A group error comes with no offsets, hence no topics.
            topics: topics.map(({ name, topicId, list }) =>
              newOffsetFetchResponseGroupTopic({
                name,
                topicId: topicId ?? undefined,
                partitions: list.map((o) =>
                  newOffsetFetchResponseGroupPartition({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: o.errorCode }),
                ),
              }),
            ),
          });
        }),
      });
    }
    // v0-v1 have no null topic list (no "all topics").
    const r = fetchGroup(ctx, groups, req.groupId, v >= 2 ? req.topics : (req.topics ?? []), requireStable);
    // Before v2 a group-level error can only be reported per partition.
    const groupError = r.errorCode;
    const offsets =
      v < 2 && groupError !== ErrorCode.NONE
        ? (req.topics ?? []).flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: groupError })))
        : r.offsets;
    // From v2 a group error comes with no offsets, hence no topics.
    const requested = v >= 2 && groupError !== ErrorCode.NONE ? null : req.topics;
    return newOffsetFetchResponse({
      throttleTimeMs: 0,
      errorCode: groupError,
      topics: byTopic(offsets, requested).map(([name, list]) =>
        newOffsetFetchResponseTopic({
          name,
          partitions: list.map((o) =>
            newOffsetFetchResponsePartition({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: o.errorCode }),
          ),
        }),
      ),
    });
  },
  errorResponse(ctx, req, code) {
    if (ctx.version >= 8) return newOffsetFetchResponse({ groups: req.groups.map((g) => newOffsetFetchResponseGroup({ groupId: g.groupId, errorCode: code, topics: [] })) });
    return newOffsetFetchResponse({
      errorCode: code,
      topics: (req.topics ?? []).map((t) =>
        newOffsetFetchResponseTopic({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => newOffsetFetchResponsePartition({ partitionIndex: p, committedOffset: -1, metadata: '', errorCode: code })),
        }),
      ),
    });
  },
});
