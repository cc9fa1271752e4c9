/**
 * Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete, retention expiry and cleanup when a
 * topic is deleted, as Kafka's GroupCoordinator/GroupMetadataManager do them.
 *
 * A commit is acknowledged only once its record is durable in __consumer_offsets, and becomes
 * visible to OffsetFetch at that moment; until then the partition has a commit "in flight"
 * (OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT, expiry skips it). Deleting
 * offsets while a commit is in flight discards that commit's in-memory effect, matching the log,
 * where the tombstone comes after the commit.
 */
import { ErrorCode, errorName } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { ConsumerGroupState } from './consumer/group.js';
import { consumerGroupTombstones } from './consumer/lifecycle.js';
import { consumerSubscribedTopics } from './consumer/subscriptions.js';
import { pendingKey, type CommittedOffset, type Group, type PendingCommits } from './group.js';
import type { KeyedRecord } from './offsets-log.js';
import { encodeGroupMetadataKey, encodeOffsetCommitKey, encodeOffsetCommitValue } from './records.js';
import { coordinatorWriteError } from './write-errors.js';

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 with memberId '' for a simple commit (no group management). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-v4 retention time; -1: the broker's retention. */
  retentionTimeMs: number;
  /** The request's version (members of consumer groups must use v9+); absent: the newest. */
  apiVersion?: number;
  offsets: Array<{
    topic: string;
    partition: number;
    offset: number;
    leaderEpoch: number;
    metadata: string | null;
    /** OffsetCommit v1's per-partition commit time; absent or -1: the broker's clock. */
    commitTimestamp?: number;
  }>;
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

/** Maps a failed offsets write to the commit error Kafka gives (a too-large commit, else the coordinator's write error). */
function commitError(err: unknown): number {
  const code = coordinatorWriteError(err);
  switch (code) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}

/** Kafka's validateOffsetCommit: members commit with their generation; others only into empty groups. */
function validateCommit(coord: GroupCoordinator, group: Group, req: OffsetCommitRequest): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (group.consumer !== null) return validateConsumerGroupCommit(coord, group.consumer, req);
  if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
    if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (!group.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }
  // A commit from outside the group while it has members would fight with them.
  if (!group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
  void coord;
  return ErrorCode.NONE;
}

/**
 * Kafka's ConsumerGroup.validateOffsetCommit: a commit from outside the group (epoch < 0) only
 * into a group without members; a member commits with OffsetCommit v9+ and its current epoch
 * (STALE_MEMBER_EPOCH otherwise: it must finish reconciling first).
 */
function validateConsumerGroupCommit(coord: GroupCoordinator, cg: ConsumerGroupState, req: OffsetCommitRequest): number {
  if (req.generationId < 0 && cg.size === 0) return ErrorCode.NONE;
  const member = cg.members.get(req.memberId);
  if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
  // A classic-protocol member of a migrating group commits at any version with its generation (its
  // member epoch), checked by the same rules; a stale one is ILLEGAL_GENERATION, as Kafka 4.4 answers it.
  const stale = member.classic !== null ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
  if (member.classic === null && (req.apiVersion ?? 9) < 9) return ErrorCode.UNSUPPORTED_VERSION;
  if (req.generationId === member.memberEpoch) return ErrorCode.NONE;
  if (req.generationId > member.memberEpoch || req.generationId < 0) return stale;
  // An older epoch (a commit that crossed a heartbeat moving the member on) is valid for partitions
  // the member has owned since that epoch (KIP-1251's assignment epochs), as Kafka 4.4 accepts it.
  for (const o of req.offsets) {
    const id = coord.topics.get(o.topic)?.id.toString('hex');
    const since = id === undefined ? undefined : member.ownedSince.get(`${id}:${o.partition}`);
    if (since === undefined || since > req.generationId) return stale;
  }
  return ErrorCode.NONE;
}

/** One error code per requested partition, in request order. */
export async function commitOffsets(coord: GroupCoordinator, req: OffsetCommitRequest): Promise<number[]> {
  // Partitions that do not exist are refused before anything else, as Kafka's request handler does.
  const known = req.offsets.map((o) => coord.partitionExists(o.topic, o.partition));
  if (known.every((k) => k)) return commitKnown(coord, req);
  const codes = await commitKnown(coord, { ...req, offsets: req.offsets.filter((_, i) => known[i]) });
  let j = 0;
  return known.map((k) => (k ? codes[j++]! : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
}

async function commitKnown(coord: GroupCoordinator, req: OffsetCommitRequest): Promise<number[]> {
  const all = (code: number) => req.offsets.map(() => code);
  if (req.offsets.length === 0) return [];
  const refused = await coord.readyFor(req.groupId);
  if (refused !== ErrorCode.NONE) return all(refused);
  let group = coord.getGroup(req.groupId);
  if (!group) {
    // Unknown group: a simple commit creates it; a generation means a member of a group long gone
    // (a consumer group member, v9+, is unknown: Kafka's GroupIdNotFound maps to it there).
    if (req.generationId >= 0) return all((req.apiVersion ?? 0) >= 9 && req.memberId !== '' ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
    group = coord.createGroup(req.groupId);
  }
  const invalid = validateCommit(coord, group, req);
  if (invalid !== ErrorCode.NONE) return all(invalid);
  switch (group.state) {
    case 'CompletingRebalance':
      // The member knows the new generation but has no assignment yet: it must finish the rebalance.
      return all(ErrorCode.REBALANCE_IN_PROGRESS);
    case 'Stable':
    case 'PreparingRebalance': {
      // During PreparingRebalance commits are still accepted: the heartbeat tells members to rejoin.
      const member = group.members.get(req.memberId);
      if (member) coord.touch(group, member);
      break;
    }
    default:
      break;
  }
  return storeOffsets(coord, group, req);
}

async function storeOffsets(coord: GroupCoordinator, group: Group, req: OffsetCommitRequest): Promise<number[]> {
  const cfg = coord.cfg();
  const now = coord.now();
  const codes: number[] = new Array(req.offsets.length).fill(ErrorCode.NONE);
  const records: KeyedRecord[] = [];
  const staged: Array<{ i: number; topic: string; partition: number; value: CommittedOffset; token: PendingCommits }> = [];
  req.offsets.forEach((o, i) => {
    const metadata = o.metadata ?? '';
    if (Buffer.byteLength(metadata) > cfg.offsetMetadataMaxBytes) {
      codes[i] = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return;
    }
    const value: CommittedOffset = {
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata,
      // Kafka 2.x kept an explicit v1 commit timestamp (it is what retention counts from).
      commitTimestamp: o.commitTimestamp === undefined || o.commitTimestamp === -1 ? now : o.commitTimestamp,
      expireTimestamp: req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : -1,
    };
    records.push({ key: encodeOffsetCommitKey(group.groupId, o.topic, o.partition), value: encodeOffsetCommitValue(value) });
    const key = pendingKey(o.topic, o.partition);
    let token = group.pendingCommits.get(key);
    if (!token) group.pendingCommits.set(key, (token = { count: 0 }));
    token.count++;
    staged.push({ i, topic: o.topic, partition: o.partition, value, token });
  });
  if (records.length === 0) return codes;
  let error: number = ErrorCode.NONE;
  try {
    await coord.appendRecords(group.groupId, records);
  } catch (err) {
    error = commitError(err);
    coord.logger.warn({ group: group.groupId, partitions: records.length, error: errorName(error), err: (err as Error).message }, 'offset commit failed');
  }
  for (const s of staged) {
    const key = pendingKey(s.topic, s.partition);
    // The token is gone if the offsets were deleted meanwhile: the log has the tombstone after us.
    const current = group.pendingCommits.get(key) === s.token;
    if (current && --s.token.count === 0) group.pendingCommits.delete(key);
    if (error !== ErrorCode.NONE) codes[s.i] = error;
    else if (current && !group.is('Dead')) group.setOffset(s.topic, s.partition, s.value);
  }
  return codes;
}

/**
 * Committed offsets of a group: the requested partitions (-1 and "" for those without a commit),
 * or, for `partitions` null, every partition with a commit.
 */
export function fetchOffsets(
  coord: GroupCoordinator,
  groupId: string,
  partitions: Array<{ topic: string; partition: number }> | null,
  requireStable: boolean,
  member: { memberId: string | null; memberEpoch: number } | null = null,
): { errorCode: number; offsets: FetchedOffset[] } {
  const refused = coord.refusal(groupId);
  if (refused !== ErrorCode.NONE) return { errorCode: refused, offsets: [] };
  const none = (topic: string, partition: number, errorCode: number = ErrorCode.NONE): FetchedOffset => ({ topic, partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode });
  const group = coord.getGroup(groupId);
  // OffsetFetch v9 from a consumer group member (Kafka's ConsumerGroup.validateOffsetFetch).
  const cg = group?.consumer;
  if (cg && member !== null && (member.memberId !== null || member.memberEpoch >= 0)) {
    const m = member.memberId === null ? undefined : cg.members.get(member.memberId);
    if (!m) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, offsets: [] };
    if (m.memberEpoch !== member.memberEpoch) return { errorCode: ErrorCode.STALE_MEMBER_EPOCH, offsets: [] };
  }
  if (!group || group.is('Dead')) return { errorCode: ErrorCode.NONE, offsets: (partitions ?? []).map((p) => none(p.topic, p.partition)) };
  const wanted = partitions ?? [...group.allOffsets()].map(([topic, partition]) => ({ topic, partition }));
  const offsets = wanted.map(({ topic, partition }) => {
    if (requireStable && group.hasPendingCommit(topic, partition)) return none(topic, partition, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    const o = group.offset(topic, partition);
    return o ? { topic, partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE } : none(topic, partition);
  });
  return { errorCode: ErrorCode.NONE, offsets };
}

/** Removes offsets from a group and writes their tombstones (plus the group's, when it died). */
export async function removeOffsetsDurably(coord: GroupCoordinator, group: Group, partitions: Array<[string, number]>, groupDied: boolean): Promise<void> {
  const records: KeyedRecord[] = [];
  for (const [topic, partition] of partitions) {
    group.removeOffset(topic, partition);
    records.push({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null });
  }
  if (groupDied) records.push(...consumerGroupTombstones(group), { key: encodeGroupMetadataKey(group.groupId), value: null });
  await coord.appendRecords(group.groupId, records);
}

/**
 * OffsetDelete: offsets of an empty group, or of topics a consumer group does not subscribe to
 * (GROUP_SUBSCRIBED_TO_TOPIC for the others). Returns the group error, or per-partition codes.
 */
export async function deleteOffsets(
  coord: GroupCoordinator,
  groupId: string,
  partitions: Array<{ topic: string; partition: number }>,
): Promise<{ errorCode: number; partitions: number[] }> {
  const fail = (errorCode: number) => ({ errorCode, partitions: [] });
  if (coord.stopping) return fail(ErrorCode.NOT_COORDINATOR);
  if (groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
  const refused = coord.refusal(groupId);
  if (refused !== ErrorCode.NONE) return fail(refused);
  const group = coord.getGroup(groupId);
  if (!group || group.is('Dead')) return fail(ErrorCode.GROUP_ID_NOT_FOUND);
  const codes: number[] = new Array(partitions.length).fill(ErrorCode.NONE);
  const eligible: Array<[string, number]> = [];
  if (group.consumer !== null && group.consumer.size > 0) {
    const subscribed = consumerSubscribedTopics(coord, group.consumer);
    partitions.forEach((p, i) => {
      if (subscribed.has(p.topic)) codes[i] = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
      else eligible.push([p.topic, p.partition]);
    });
  } else if (group.is('Empty')) {
    for (const p of partitions) eligible.push([p.topic, p.partition]);
  } else if (group.protocolType === 'consumer') {
    partitions.forEach((p, i) => {
      if (group.isSubscribedToTopic(p.topic)) codes[i] = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
      else eligible.push([p.topic, p.partition]);
    });
  } else {
    return fail(ErrorCode.NON_EMPTY_GROUP);
  }
  if (eligible.length > 0) {
    try {
      await removeOffsetsDurably(coord, group, eligible, false);
    } catch (err) {
      const code = commitError(err);
      coord.logger.warn({ group: groupId, error: errorName(code) }, 'writing offset tombstones failed');
      return fail(code);
    }
    coord.logger.info({ group: groupId, partitions: eligible.length }, 'offsets deleted');
  }
  return { errorCode: ErrorCode.NONE, partitions: codes };
}

/**
 * One expiry pass (offsets.retention.minutes): expired offsets are removed with tombstones; an
 * empty group left without offsets dies and its metadata gets a tombstone too.
 */
export async function expireOffsets(coord: GroupCoordinator): Promise<number> {
  const now = coord.now();
  const retention = coord.cfg().offsetsRetentionMs;
  let removed = 0;
  const writes: Array<Promise<void>> = [];
  for (const group of [...coord.groups.values()]) {
    const expired = group.expiredOffsets(now, retention);
    for (const [topic, partition] of expired) group.removeOffset(topic, partition);
    const dies = group.is('Empty') && (group.consumer?.size ?? 0) === 0 && !group.hasOffsets();
    if (expired.length === 0 && !dies) continue;
    removed += expired.length;
    if (dies) coord.removeGroup(group);
    // Offsets are already gone from memory; re-removing in removeOffsetsDurably is a no-op.
    writes.push(
      removeOffsetsDurably(coord, group, expired, dies).catch((err: unknown) =>
        coord.logger.warn({ group: group.groupId, err: (err as Error).message }, 'writing expiry tombstones failed'),
      ),
    );
    coord.logger.info({ group: group.groupId, expiredOffsets: expired.length, groupRemoved: dies }, 'expired group offsets');
  }
  await Promise.all(writes);
  return removed;
}

/** A topic was deleted: its committed offsets go from every group (Kafka does the same). */
export async function removeTopicOffsets(coord: GroupCoordinator, topic: string): Promise<void> {
  const writes: Array<Promise<void>> = [];
  for (const group of coord.groups.values()) {
    const parts = group.offsets.get(topic);
    const pending = [...group.pendingCommits.keys()].filter((k) => k.startsWith(`${topic}\u0000`));
    if (!parts && pending.length === 0) continue;
    const list: Array<[string, number]> = [...(parts?.keys() ?? [])].map((p) => [topic, p]);
    for (const k of pending) {
      const p = Number(k.slice(topic.length + 1));
      if (!parts?.has(p)) list.push([topic, p]);
    }
    writes.push(
      removeOffsetsDurably(coord, group, list, false).catch((err: unknown) =>
        coord.logger.warn({ group: group.groupId, topic, err: (err as Error).message }, 'writing tombstones for a deleted topic failed'),
      ),
    );
  }
  await Promise.all(writes);
}
