/**
 * Ending a consumer group's consumer-protocol state: when its id is taken over by a classic group
 * (it is empty) or it is deleted (DeleteGroups, offset expiry). The group's records get
 * tombstones — Kafka's order: every member's records, then the group's — so a reload does not
 * bring it back.
 */
import type { GroupCoordinator } from '../coordinator.js';
import type { Group } from '../group.js';
import type { KeyedRecord } from '../offsets-log.js';
import { groupTombstones, memberTombstones } from './records.js';

/** The tombstones deleting a consumer group's state (nothing for a classic group). */
export function consumerGroupTombstones(group: Group): KeyedRecord[] {
  const cg = group.consumer;
  if (!cg) return [];
  const out: KeyedRecord[] = [];
  for (const id of cg.members.keys()) out.push(...memberTombstones(group.groupId, id));
  out.push(...groupTombstones(group.groupId));
  return out;
}

/** An empty consumer group becomes a plain (classic) one; its records are deleted in the background. */
export function dropEmptyConsumerGroup(coord: GroupCoordinator, group: Group): void {
  const records = consumerGroupTombstones(group);
  group.consumer?.stopTimers();
  group.consumer = null;
  coord.appendRecords(group.groupId, records).catch((err: unknown) => coord.logger.warn({ group: group.groupId, err: (err as Error).message }, 'deleting consumer group records failed'));
}
