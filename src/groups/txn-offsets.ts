/**
 * Offsets committed inside a transaction (TxnOffsetCommit), as Kafka's GroupMetadataManager does
 * them: the offset records go to the group's __consumer_offsets partition as a transactional
 * batch of the producer, and are held as the group's pending transactional offsets. When the
 * transaction coordinator writes the COMMIT marker to that partition they become the group's
 * committed offsets; an ABORT marker drops them. While pending, OffsetFetch with requireStable
 * answers UNSTABLE_OFFSET_COMMIT for those partitions.
 */
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import { pendingKey, type CommittedOffset, type Group } from './group.js';
import type { KeyedRecord } from './offsets-log.js';
import { encodeOffsetCommitKey, encodeOffsetCommitValue } from './records.js';

export interface TxnOffsetCommitRequest {
  groupId: string;
  producerId: number;
  producerEpoch: number;
  /** v3+: -1 and '' when the producer does not pass its consumer's group metadata. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }>;
}

/** Kafka's validation of a TxnOffsetCommit with group metadata (KIP-447). */
function validate(group: Group, req: TxnOffsetCommitRequest): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (req.generationId < 0 && req.memberId === '' && req.groupInstanceId === null) return ErrorCode.NONE;
  if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
  if (req.memberId !== '' && !group.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (req.generationId >= 0 && req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  return ErrorCode.NONE;
}

/** One error code per requested partition, in request order. */
export async function commitTxnOffsets(coord: GroupCoordinator, req: TxnOffsetCommitRequest): Promise<number[]> {
  const all = (code: number) => req.offsets.map(() => code);
  if (coord.stopping) return all(ErrorCode.NOT_COORDINATOR);
  if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
  const refused = await coord.readyFor(req.groupId);
  if (refused !== ErrorCode.NONE) return all(refused);
  let group = coord.getGroup(req.groupId);
  if (!group) {
    if (req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
    group = coord.createGroup(req.groupId);
  }
  const invalid = validate(group, req);
  if (invalid !== ErrorCode.NONE) return all(invalid);
  const cfg = coord.cfg();
  const now = coord.now();
  const codes: number[] = req.offsets.map(() => ErrorCode.NONE);
  const records: KeyedRecord[] = [];
  const staged: Array<{ topic: string; partition: number; value: CommittedOffset }> = [];
  req.offsets.forEach((o, i) => {
    if (!coord.partitionExists(o.topic, o.partition)) {
      codes[i] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return;
    }
    const metadata = o.metadata ?? '';
    if (Buffer.byteLength(metadata) > cfg.offsetMetadataMaxBytes) {
      codes[i] = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return;
    }
    const value: CommittedOffset = { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: now, expireTimestamp: -1 };
    records.push({ key: encodeOffsetCommitKey(group.groupId, o.topic, o.partition), value: encodeOffsetCommitValue(value) });
    staged.push({ topic: o.topic, partition: o.partition, value });
  });
  if (records.length === 0) return codes;
  try {
    await coord.log.ensure();
    await coord.log.appendTransactional(coord.partitionFor(group.groupId), records, req.producerId, req.producerEpoch);
  } catch (err) {
    const code = err instanceof KafkaError && err.code !== ErrorCode.KAFKA_STORAGE_ERROR ? err.code : ErrorCode.NOT_COORDINATOR;
    coord.logger.warn({ group: group.groupId, producerId: req.producerId, error: errorName(code), err: (err as Error).message }, 'transactional offset commit failed');
    return codes.map((c) => (c === ErrorCode.NONE ? code : c));
  }
  let pending = group.pendingTxnOffsets.get(req.producerId);
  if (!pending) group.pendingTxnOffsets.set(req.producerId, (pending = new Map()));
  for (const s of staged) pending.set(pendingKey(s.topic, s.partition), s);
  return codes;
}

/**
 * The transaction of `producerId` ended with a marker in __consumer_offsets partition
 * `offsetsPartition`: its offsets for the groups of that partition are applied or dropped.
 */
export function completeTxnOffsets(coord: GroupCoordinator, offsetsPartition: number, producerId: number, commit: boolean): void {
  for (const group of coord.groups.values()) {
    const pending = group.pendingTxnOffsets.get(producerId);
    if (!pending || coord.partitionFor(group.groupId) !== offsetsPartition) continue;
    group.pendingTxnOffsets.delete(producerId);
    if (!commit || group.is('Dead')) continue;
    for (const p of pending.values()) group.setOffset(p.topic, p.partition, p.value);
  }
}
