/**
 * ShareFetch (key 78), versions 1-2 (KIP-932): acknowledges the records a request carries, then
 * acquires records for the member from its share session's partitions, locked to it for
 * group.share.record.lock.duration.ms; answers the stored batches unchanged with the acquired
 * offset ranges and their delivery counts (AcquiredRecords).
 *
 * Share session epochs, as Kafka: 0 opens a session (acknowledgements there are INVALID_REQUEST),
 * -1 is the last request (acknowledgements only; the member's remaining locks are released),
 * otherwise the next epoch (SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH).
 *
 * Authorization: READ on the group (GROUP_AUTHORIZATION_FAILED), READ on each topic
 * (TOPIC_AUTHORIZATION_FAILED for its partitions).
 */
import {
  newShareFetchResponse,
  newShareFetchResponseAcquiredRecords,
  newShareFetchResponseLeaderIdAndEpoch,
  newShareFetchResponsePartitionData,
  newShareFetchResponseTopicResponse,
  type ShareFetchRequest,
  type ShareFetchResponse,
  type ShareFetchResponsePartitionData,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { EMPTY } from '../../protocol/codec-support.js';
import { defineHandler } from './types.js';
import { AclOperation, canTopic } from './authz.js';
import { committedView, currentLeaderOf, shareRequestRefusal } from './share-common.js';
import { ackCodes as codesOf, applyAcks, hasAcks } from './share-acks.js';
import type { SharePartition } from '../share/share-partition.js';
import { StateWrites } from '../share/state-writes.js';

const failure = (errorCode: number, errorMessage: string | null = null) => newShareFetchResponse({ throttleTimeMs: 0, errorCode, errorMessage, acquisitionLockTimeoutMs: 0 });

export default defineHandler<ShareFetchRequest, ShareFetchResponse>({
  key: 78,
  minVersion: 1,
  maxVersion: 2,
  async handle(ctx, req) {
    const refused = shareRequestRefusal(ctx, req.groupId, req.memberId);
    if (refused) return failure(...refused);
    if (req.shareSessionEpoch === 0 && hasAcks(req.topics)) return failure(ErrorCode.INVALID_REQUEST, 'Acknowledge data present on initial fetch request.');
    const s = ctx.shareGroups.data.session(req.groupId!, req.memberId!, req.shareSessionEpoch); // both checked by shareRequestRefusal
    if (typeof s === 'number') return failure(s);
    if (req.shareSessionEpoch === 0) ctx.shareGroups.data.bindToConnection(s, (fn) => ctx.conn.onClose(fn));
    const settings = ctx.shareGroups.settingsFor(req.groupId!);
    const final = req.shareSessionEpoch === -1;
    // The session's partitions: those named are added, forgotten ones dropped.
    const named = new Map<string, { topicId: Buffer; partition: number; allowed: boolean }>();
    for (const t of req.topics) {
      const topic = ctx.topics.byId(t.topicId);
      const allowed = topic === undefined || canTopic(ctx, AclOperation.READ, topic.name);
      for (const p of t.partitions) named.set(`${t.topicId.toString('hex')}:${p.partitionIndex}`, { topicId: t.topicId, partition: p.partitionIndex, allowed });
    }
    const added: Array<{ topicId: Buffer; partition: number }> = [];
    if (!final) {
      for (const f of req.forgottenTopicsData) for (const p of f.partitions) s.partitions.delete(`${f.topicId.toString('hex')}:${p}`);
      // Only partitions that exist join the session, so a client cannot grow it without bound.
      for (const [k, n] of named) {
        const topic = ctx.topics.byId(n.topicId);
        if (!n.allowed || !topic || n.partition < 0 || n.partition >= topic.partitions) continue;
        if (!s.partitions.has(k)) added.push({ topicId: n.topicId, partition: n.partition });
        s.partitions.set(k, { topicId: n.topicId, partition: n.partition });
      }
    }
    // A partition new to the session: is the copy held here still current (an offsets reset or
    // deletion while the group was empty)? Once per partition a session adds, not per fetch.
    await ctx.shareGroups.revalidate(req.groupId!, added);
    // The acknowledgements are applied in memory; their state writes go with the fetch's first round.
    const writes = new StateWrites<SharePartition>();
    const acks = await applyAcks(ctx, s, req.topics, writes);
    const fetched = final ? new Map() : await ctx.shareGroups.data.fetch(s, req.maxRecords, Math.min(req.maxBytes, ctx.config.int('fetch.max.bytes')), req.maxWaitMs, (log) => committedView(ctx, log), writes);
    await writes.flush(); // whatever the fetch did not write (a final request: all of it)
    const ackCodes = codesOf(acks, writes);
    if (final) ctx.shareGroups.data.closeSession(s);
    // Answer: a session's first request (epoch 0) names every partition it asked for; later ones,
    // as Kafka's incremental share sessions, only partitions with records, an error or an
    // acknowledgement result (Kafka 4.4 omits the rest: test/differential/share-groups.test.ts).
    const incremental = req.shareSessionEpoch !== 0;
    const byTopic = new Map<string, { topicId: Buffer; partitions: ShareFetchResponsePartitionData[] }>();
    const keys = new Set<string>([...named.keys(), ...fetched.keys(), ...ackCodes.keys()]);
    for (const key of keys) {
      const [hex, part] = key.split(':') as [string, string];
      const n = named.get(key);
      const f = fetched.get(key);
      const topicId = n?.topicId ?? Buffer.from(hex, 'hex');
      const topic = ctx.topics.byId(topicId);
      const errorCode = !topic
        ? ErrorCode.UNKNOWN_TOPIC_ID
        : n && !n.allowed
          ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
          : Number(part) < 0 || Number(part) >= topic.partitions
            ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            : (f?.errorCode ?? 0);
      if ((!n || incremental) && !f?.records && errorCode === 0 && !ackCodes.has(key)) continue;
      let t = byTopic.get(hex);
      if (!t) byTopic.set(hex, (t = { topicId, partitions: [] }));
      t.partitions.push(
        newShareFetchResponsePartitionData({
          partitionIndex: Number(part),
          errorCode,
          acknowledgeErrorCode: ackCodes.get(key) ?? 0,
          currentLeader: newShareFetchResponseLeaderIdAndEpoch(currentLeaderOf(ctx, topic?.name, Number(part))),
          records: f?.records ?? EMPTY,
          acquiredRecords: (f?.acquired ?? []).map((a: { firstOffset: number; lastOffset: number; deliveryCount: number }) => newShareFetchResponseAcquiredRecords(a)),
        }),
      );
    }
    return newShareFetchResponse({
      throttleTimeMs: 0,
      errorCode: 0,
      acquisitionLockTimeoutMs: settings.recordLockDurationMs,
      responses: [...byTopic.values()].map((t) => newShareFetchResponseTopicResponse(t)),
    });
  },
  errorResponse(_ctx, _req, code, message) {
    return failure(code, message);
  },
});
