/**
 * ShareAcknowledge (key 79), versions 1-2 (KIP-932): acknowledges acquired records (ACCEPT,
 * RELEASE, REJECT; RENEW from v2 extends the lock) without fetching. The share session must
 * exist: epoch 0 is INVALID_SHARE_SESSION_EPOCH here, -1 closes the session after the
 * acknowledgements (the member's remaining locks are released).
 * Authorization: READ on the group and on each topic.
 */
import {
  newShareAcknowledgeResponse,
  newShareAcknowledgeResponseLeaderIdAndEpoch,
  newShareAcknowledgeResponsePartitionData,
  newShareAcknowledgeResponseTopicResponse,
  type ShareAcknowledgeRequest,
  type ShareAcknowledgeResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { currentLeaderOf, shareRequestRefusal } from './share-common.js';
import { ackCodes, applyAcks } from './share-acks.js';
import type { SharePartition } from '../share/share-partition.js';
import { StateWrites } from '../share/state-writes.js';

const failure = (errorCode: number, errorMessage: string | null = null) => newShareAcknowledgeResponse({ throttleTimeMs: 0, errorCode, errorMessage });

export default defineHandler<ShareAcknowledgeRequest, ShareAcknowledgeResponse>({
  key: 79,
  minVersion: 1,
  maxVersion: 2,
  async handle(ctx, req) {
    const refused = shareRequestRefusal(ctx, req.groupId, req.memberId);
    if (refused) return failure(...refused);
    if (req.shareSessionEpoch === 0) return failure(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    const s = ctx.shareGroups.data.session(req.groupId!, req.memberId!, req.shareSessionEpoch); // both checked by shareRequestRefusal
    if (typeof s === 'number') return failure(s);
    const writes = new StateWrites<SharePartition>();
    const applied = await applyAcks(ctx, s, req.topics, writes);
    await writes.flush(); // every partition's state in one concurrent round, durable before the answer
    const codes = ackCodes(applied, writes);
    if (req.shareSessionEpoch === -1) ctx.shareGroups.data.closeSession(s);
    const byTopic = new Map<string, { topicId: Buffer; partitions: ReturnType<typeof newShareAcknowledgeResponsePartitionData>[] }>();
    for (const [key, errorCode] of codes) {
      const [hex, part] = key.split(':') as [string, string];
      let t = byTopic.get(hex);
      if (!t) byTopic.set(hex, (t = { topicId: Buffer.from(hex, 'hex'), partitions: [] }));
      t.partitions.push(newShareAcknowledgeResponsePartitionData({ partitionIndex: Number(part), errorCode, currentLeader: newShareAcknowledgeResponseLeaderIdAndEpoch(currentLeaderOf(ctx, ctx.topics.byId(t.topicId)?.name, Number(part))) }));
    }
    return newShareAcknowledgeResponse({ throttleTimeMs: 0, errorCode: 0, acquisitionLockTimeoutMs: ctx.shareGroups.settingsFor(req.groupId!).recordLockDurationMs, responses: [...byTopic.values()].map((t) => newShareAcknowledgeResponseTopicResponse(t)) });
  },
  errorResponse(_ctx, _req, code, message) {
    return failure(code, message);
  },
});
