/**
 * What a follower does with one partition of a fetch response from its leader (Kafka's
 * AbstractFetcherThread.processFetchRequest for one partition, written from its behaviour):
 *
 *  - NONE with a diverging epoch (KIP-320, Fetch v12+): our log went past the leader's in that
 *    epoch. Truncate to where the logs agree (truncationOffset below: the leader's end of the
 *    epoch, or of ours when we never had that epoch), then fetch again at once.
 *  - NONE with records: append them with the leader's offsets and epochs (appendAsFollower); an
 *    empty log whose leader's log start lies inside the first batch (DeleteRecords moved it there)
 *    is restarted at that batch first, as Kafka does. A partition's first transactional batch
 *    waits for the partition to be recorded as transactional here (ClusterReplica
 *    .recordTransactional). Our high watermark becomes min(the leader's,
 *    our visible end). The caller waits for the append to be written (and synced, under the
 *    default flush policy) before the next fetch, whose offset reports it to the leader.
 *  - OFFSET_OUT_OF_RANGE: ask the leader for its end and start (ListOffsets as a replica). Past
 *    its end, truncate to it; behind its start, empty the log and start at it; then fetch again.
 *  - Any other error (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER: the
 *    leadership moved and the metadata image will tell us; storage errors; unknown partition):
 *    the partition waits replica.fetch.backoff.ms, then is fetched again with the partition's
 *    current leader epoch.
 */
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { FetchResponsePartition } from '../../protocol/generated/index.js';
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../../storage/leader-epoch-cache.js';
import { UnexpectedAppendOffsetError } from '../../storage/partition-log.js';
import type { AppendResult } from '../../storage/partition-log.js';
import type { ClusterReplica } from './cluster-replica.js';

/** The leader's log ends, asked for when a fetch is out of range (ListOffsets with our replica id). */
export interface LeaderOffsets {
  latest(): Promise<number>;
  earliest(): Promise<number>;
}

export type FetchedOutcome =
  /** Records appended (or none): wait for `written` (null: nothing to wait for), then fetch on. */
  | { kind: 'appended'; written: Promise<void> | null }
  /** The log was truncated (or restarted): fetch again at once. */
  | { kind: 'truncated' }
  /** Back off, then fetch again. */
  | { kind: 'backoff'; reason: string };

/**
 * Where a follower truncates on a diverging epoch (Kafka's getOffsetTruncationState): with the
 * leader's (epoch, end offset) and our own end of that epoch, the smaller of the two ends — or, if
 * we do not have that epoch, our end of the largest epoch below it (the next fetch compares again);
 * never past our log end.
 */
export function truncationOffset(replica: ClusterReplica, epoch: number, endOffset: number): number {
  const leo = replica.log.logEndOffset;
  if (endOffset === UNDEFINED_EPOCH_OFFSET) return Math.min(replica.log.highWatermark, leo);
  if (epoch === UNDEFINED_EPOCH) return Math.min(endOffset, leo);
  const mine = replica.log.leaderEpochs.endOffsetFor(epoch, leo);
  if (mine.endOffset === UNDEFINED_EPOCH_OFFSET) return Math.min(endOffset, leo);
  if (mine.epoch !== epoch) return Math.min(mine.endOffset, leo);
  return Math.min(mine.endOffset, endOffset, leo);
}

/** Applies one partition of a fetch response (see the header). Never throws. */
export async function applyFetchedPartition(replica: ClusterReplica, res: FetchResponsePartition, leader: LeaderOffsets): Promise<FetchedOutcome> {
  try {
    switch (res.errorCode) {
      case ErrorCode.NONE:
        if (res.divergingEpoch.epoch >= 0 || res.divergingEpoch.endOffset >= 0) {
          const before = [replica.fetchOffset, replica.lastFetchedEpoch];
          await replica.truncateTo(truncationOffset(replica, res.divergingEpoch.epoch, res.divergingEpoch.endOffset));
          // Nothing moved: the same answer would come back at once (a leader in a state we cannot follow).
          if (replica.fetchOffset === before[0] && replica.lastFetchedEpoch === before[1]) return { kind: 'backoff', reason: `diverging epoch ${res.divergingEpoch.epoch} at ${res.divergingEpoch.endOffset} changed nothing` };
          return { kind: 'truncated' };
        }
        return await appendFetched(replica, res);
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        return await outOfRange(replica, leader);
      default:
        return { kind: 'backoff', reason: errorName(res.errorCode) };
    }
  } catch (err) {
    return { kind: 'backoff', reason: err instanceof KafkaError ? `${errorName(err.code)}: ${err.message}` : (err as Error).message };
  }
}

async function appendFetched(replica: ClusterReplica, res: FetchResponsePartition): Promise<FetchedOutcome> {
  const records = res.records as Buffer | null;
  let appended: AppendResult | null = null;
  if (records !== null && records.length > 0) {
    const recording = replica.recordTransactional(records);
    if (recording !== null) await recording;
    try {
      appended = replica.appendAsFollower(records);
    } catch (err) {
      if (!(err instanceof UnexpectedAppendOffsetError)) throw err;
      // The leader's log start fell inside a batch (DeleteRecords): start our empty log at that batch.
      const log = replica.log;
      if (!(log.logEndOffset === log.logStartOffset && err.firstOffset < log.logEndOffset && err.lastOffset >= log.logEndOffset)) throw err;
      await replica.truncateFullyAndStartAt(err.firstOffset);
      appended = replica.appendAsFollower(records);
    }
  }
  replica.updateFollowerHighWatermark(res.highWatermark);
  return { kind: 'appended', written: appended !== null && appended.lastOffset >= 0 ? appended.written : null };
}

/** Kafka's fetchOffsetAndTruncate. */
async function outOfRange(replica: ClusterReplica, leader: LeaderOffsets): Promise<FetchedOutcome> {
  const leo = replica.log.logEndOffset;
  const leaderEnd = await leader.latest();
  if (leaderEnd < leo) {
    await replica.truncateTo(leaderEnd);
    return { kind: 'truncated' };
  }
  const leaderStart = await leader.earliest();
  if (leaderStart > leo) {
    await replica.truncateFullyAndStartAt(leaderStart);
    return { kind: 'truncated' };
  }
  return { kind: 'backoff', reason: `OFFSET_OUT_OF_RANGE at ${leo} although the leader has ${leaderStart}..${leaderEnd}` };
}
