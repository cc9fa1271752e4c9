/**
 * Loading one `__consumer_offsets` partition this broker became leader of (at startup, or when
 * leadership moves here; partitions.ts): rebuilds its groups and their committed offsets by
 * replaying it, as Kafka's GroupMetadataManager.loadGroupsAndOffsets does, then installs them in
 * one synchronous step. Later records win; tombstones delete.
 * A group whose metadata was deleted but that has offsets written after that comes back as an
 * empty group holding them. Groups with members come back Stable with their generation and
 * assignments, and each member gets a fresh session timeout: consumers that survived a broker
 * restart carry on without a rebalance, and dead ones expire as usual.
 *
 * Transactional offset commits (TxnOffsetCommit) count only once their transaction's COMMIT
 * marker follows them in the partition; an ABORT marker drops them. Those of transactions still
 * open at the end come back as pending (the transaction coordinator completes or aborts them).
 */
import type { PartitionInstaller } from '../data/coordinator-partitions.js';
import type { GroupCoordinator } from './coordinator.js';
import { pendingKey, type CommittedOffset } from './group.js';
import { Member } from './member.js';
import { decodeGroupMetadataValue, decodeKey, decodeOffsetCommitValue, type GroupMetadataValue } from './records.js';
import { installConsumerGroup, replayConsumerRecord, type LoadedConsumerGroup } from './consumer/load.js';
import { decodeConsumerKey } from './consumer/records.js';

interface Loaded {
  metadata: GroupMetadataValue | null;
  offsets: Map<string, CommittedOffset>;
  /** The group's consumer-protocol (KIP-848) records, when it has any. */
  consumer: LoadedConsumerGroup | null;
}

export interface LoadStats {
  groups: number;
  offsets: number;
  records: number;
  skipped: number;
  ms: number;
}

/** What one partition's replay found: groups (metadata and offsets) and the offsets of open transactions. */
interface PartitionRead {
  partition: number;
  loaded: Map<string, Loaded>;
  /** Transactional offset records per producer whose transaction had no marker yet. */
  openTxns: Map<number, Array<[Buffer, Buffer | null]>>;
  stats: LoadStats;
}

/**
 * Reads partition `partition` and returns what installs its groups (the coordinator calls it once
 * the partition is still led here). Nothing to read when the topic does not exist yet: then the
 * installer comes back at once.
 */
export function loadGroupsPartition(coord: GroupCoordinator, partition: number): PartitionInstaller | Promise<PartitionInstaller> {
  if (!coord.log.exists()) return () => undefined;
  return readPartition(coord, partition).then((read) => () => {
    installPartition(coord, read);
    if (read.stats.records > 0) coord.logger.info({ partition, ...read.stats }, 'groups and offsets loaded');
  });
}

async function readPartition(coord: GroupCoordinator, partition: number): Promise<PartitionRead> {
  const t0 = performance.now();
  const stats: LoadStats = { groups: 0, offsets: 0, records: 0, skipped: 0, ms: 0 };
  const loaded = new Map<string, Loaded>();
  const entry = (group: string): Loaded => {
    let e = loaded.get(group);
    if (!e) loaded.set(group, (e = { metadata: null, offsets: new Map(), consumer: null }));
    return e;
  };
  const onRecord = (keyBytes: Buffer, valueBytes: Buffer | null): void => {
    stats.records++;
    const key = decodeKey(keyBytes);
    if (!key) {
      const ck = decodeConsumerKey(keyBytes);
      if (!ck || !replayConsumerRecord(entry(ck.group), ck, valueBytes)) stats.skipped++;
      return;
    }
    if (key.type === 'offset') {
      const tp = `${key.topic}\u0000${key.partition}`;
      if (valueBytes === null) {
        loaded.get(key.group)?.offsets.delete(tp);
        return;
      }
      const v = decodeOffsetCommitValue(valueBytes);
      if (!v) {
        stats.skipped++;
        return;
      }
      entry(key.group).offsets.set(tp, v);
    } else if (valueBytes === null) {
      const e = loaded.get(key.group);
      if (e) e.metadata = null;
    } else {
      const v = decodeGroupMetadataValue(valueBytes);
      if (!v) {
        stats.skipped++;
        return;
      }
      entry(key.group).metadata = v;
    }
  };
  // Transactional records per producer, held until the transaction's marker.
  const held = new Map<number, Array<[Buffer, Buffer | null]>>();
  await coord.log.replay(
    partition,
    (key, value, producerId) => {
      if (producerId < 0) return onRecord(key, value);
      let list = held.get(producerId);
      if (!list) held.set(producerId, (list = []));
      list.push([key, value]);
    },
    (producerId, commit) => {
      const list = held.get(producerId);
      held.delete(producerId);
      if (commit && list) for (const [k, v] of list) onRecord(k, v);
    },
  );
  stats.ms = Math.round(performance.now() - t0);
  return { partition, loaded, openTxns: held, stats };
}

/** Puts a read partition's groups into the coordinator (synchronously: no request sees half of them). */
function installPartition(coord: GroupCoordinator, read: PartitionRead): void {
  const { loaded, stats } = read;
  const now = coord.now();
  for (const [groupId, e] of loaded) {
    if (!e.metadata && e.offsets.size === 0 && !e.consumer) continue;
    const group = coord.createGroup(groupId);
    stats.groups++;
    if (e.consumer) installConsumerGroup(coord, group, e.consumer);
    const md = e.metadata;
    if (md) {
      group.generationId = md.generation;
      group.protocolType = md.protocolType === '' ? null : md.protocolType;
      group.protocolName = md.protocol;
      group.leaderId = md.leader;
      group.currentStateTimestamp = md.currentStateTimestamp >= 0 ? md.currentStateTimestamp : now;
      for (const sm of md.members) {
        const protocols = md.protocol === null ? [] : [{ name: md.protocol, metadata: sm.subscription }];
        const m = new Member(sm.memberId, sm.groupInstanceId, sm.clientId, sm.clientHost, sm.rebalanceTimeout, sm.sessionTimeout, md.protocolType, protocols);
        m.assignment = sm.assignment;
        group.add(m, null);
      }
      // add() makes the first member the leader: restore the stored one.
      group.leaderId = md.leader !== null && group.has(md.leader) ? md.leader : (group.members.keys().next().value ?? null);
      if (group.size > 0) group.state = 'Stable';
      group.subscribedTopics = group.computeSubscribedTopics();
      for (const m of group.members.values()) coord.touch(group, m);
    }
    for (const [tp, v] of e.offsets) {
      const sep = tp.lastIndexOf('\u0000');
      group.setOffset(tp.slice(0, sep), Number(tp.slice(sep + 1)), v);
      stats.offsets++;
    }
  }
  for (const [producerId, list] of read.openTxns) {
    for (const [keyBytes, valueBytes] of list) {
      const key = decodeKey(keyBytes);
      const v = valueBytes === null ? null : decodeOffsetCommitValue(valueBytes);
      if (!key || key.type !== 'offset' || !v) continue;
      const group = coord.getGroup(key.group) ?? coord.createGroup(key.group);
      let pending = group.pendingTxnOffsets.get(producerId);
      if (!pending) group.pendingTxnOffsets.set(producerId, (pending = new Map()));
      pending.set(pendingKey(key.topic, key.partition), { topic: key.topic, partition: key.partition, value: v });
    }
  }
}
