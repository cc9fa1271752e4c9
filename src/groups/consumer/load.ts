/**
 * Rebuilding consumer groups (KIP-848) from `__consumer_offsets` (load.ts replays the partition and
 * calls in here per record): later records win, tombstones delete; the group-epoch tombstone
 * deletes the group. Installed groups keep their epochs, target and current assignments, so
 * members that survived a broker restart (or a coordinator move) carry on with their next
 * heartbeat; each member gets a fresh session timeout, and dead ones expire as usual.
 */
import type { GroupCoordinator } from '../coordinator.js';
import type { Group } from '../group.js';
import type { Assignment } from './assignment.js';
import { ConsumerGroupState, newConsumerMember } from './group.js';
import { scheduleSessionTimeout } from './heartbeat.js';
import { readCurrent, readGroupEpoch, readMember, readTargetEpoch, readTargetMember, type ConsumerRecordKey, type StoredCurrent, type StoredMember } from './records.js';

export interface LoadedConsumerGroup {
  epoch: number;
  metadataHash: number;
  assignmentEpoch: number;
  members: Map<string, StoredMember>;
  targets: Map<string, Assignment>;
  current: Map<string, StoredCurrent>;
}

/** Applies one consumer group record to what was loaded of its group; false when the value is unreadable. */
export function replayConsumerRecord(entry: { consumer: LoadedConsumerGroup | null }, key: ConsumerRecordKey, value: Buffer | null): boolean {
  if (key.type === 16 || key.type === 4) return true; // resolved regexes and old topic metadata: recomputed
  if (key.type === 3 && value === null) {
    entry.consumer = null;
    return true;
  }
  const cg = (entry.consumer ??= { epoch: 0, metadataHash: 0, assignmentEpoch: 0, members: new Map(), targets: new Map(), current: new Map() });
  switch (key.type) {
    case 3: {
      const v = readGroupEpoch(value!);
      if (!v) return false;
      cg.epoch = v.epoch;
      cg.metadataHash = v.metadataHash;
      return true;
    }
    case 6: {
      if (value === null) return true;
      const v = readTargetEpoch(value);
      if (v === null) return false;
      cg.assignmentEpoch = v;
      return true;
    }
    case 5:
      return apply(cg.members, key.memberId, value, readMember);
    case 7:
      return apply(cg.targets, key.memberId, value, readTargetMember);
    case 8:
      return apply(cg.current, key.memberId, value, readCurrent);
    default:
      return false;
  }
}

function apply<T>(map: Map<string, T>, id: string, value: Buffer | null, read: (b: Buffer) => T | null): boolean {
  if (value === null) {
    map.delete(id);
    return true;
  }
  const v = read(value);
  if (v === null) return false;
  map.set(id, v);
  return true;
}

export function installConsumerGroup(coord: GroupCoordinator, group: Group, loaded: LoadedConsumerGroup): void {
  const cg = new ConsumerGroupState();
  cg.groupEpoch = loaded.epoch;
  cg.metadataHash = loaded.metadataHash;
  cg.assignmentEpoch = loaded.assignmentEpoch;
  for (const [memberId, sm] of loaded.members) {
    const m = newConsumerMember(memberId);
    Object.assign(m, sm);
    cg.add(m);
    const cur = loaded.current.get(memberId);
    if (cur) {
      cg.setCurrent(m, cur.state, cur.memberEpoch, cur.assigned, cur.pendingRevocation);
      m.previousMemberEpoch = cur.previousMemberEpoch;
      for (const [key, since] of cur.ownedSince) if (m.ownedSince.has(key)) m.ownedSince.set(key, since);
    }
    const target = loaded.targets.get(memberId);
    if (target) cg.target.set(memberId, target);
  }
  group.consumer = cg;
  const sessionMs = coord.consumerCfg(group.groupId).sessionTimeoutMs;
  for (const m of cg.members.values()) scheduleSessionTimeout(coord, group.groupId, cg, m, m.classic?.sessionTimeoutMs ?? sessionMs);
}
