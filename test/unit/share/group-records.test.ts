/**
 * src/share/group-records.ts: share-group records (types 10-15) replayed into groups, in log order:
 * later records win, a member's tombstones remove it, a tombstone of the group epoch (11) removes
 * the group and its members, target/current records without member metadata (10) make no member,
 * and other groups' and record types' records are left alone.
 */
import { describe, expect, it } from 'vitest';
import { MemoryOffsetsLog } from '../../../src/groups/offsets-log.js';
import {
  currentAssignmentRecord,
  groupEpochRecord,
  groupTombstones,
  memberRecord,
  memberTombstones,
  ShareGroupRecords,
  statePartitionsRecord,
  targetEpochRecord,
  targetMemberRecord,
} from '../../../src/share/group-records.js';
import type { ConfigView } from '../../../src/config/view.js';

const T = 'ab'.repeat(16);
const member = (memberId: string, topics = ['t']) => ({ memberId, rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: topics });

function records(): { log: MemoryOffsetsLog; store: ShareGroupRecords } {
  const log = new MemoryOffsetsLog(1);
  const store = new ShareGroupRecords({} as ConfigView, {} as never, {} as never, log);
  return { log, store };
}

describe('ShareGroupRecords', () => {
  it('replays members, epochs, targets and initialised partitions; later records win', async () => {
    const { store } = records();
    await store.append('g', [memberRecord('g', member('a')), groupEpochRecord('g', 1), targetMemberRecord('g', 'a', new Map([[T, [0, 1]]])), targetEpochRecord('g', 1), currentAssignmentRecord('g', 'a', 1, 0, new Map([[T, [0, 1]]]))]);
    await store.append('g', [memberRecord('g', member('b', ['t', 'u'])), groupEpochRecord('g', 2), targetMemberRecord('g', 'a', new Map([[T, [0]]])), targetMemberRecord('g', 'b', new Map([[T, [1]]])), targetEpochRecord('g', 2), currentAssignmentRecord('g', 'b', 2, 0, new Map([[T, [1]]]))]);
    await store.append('g', [statePartitionsRecord('g', new Map([[T, { name: 't', partitions: new Set([1, 0]) }]]))]);
    const g = (await store.loadPartition(0)).get('g')!;
    expect([g.epoch, g.assignmentEpoch]).toEqual([2, 2]);
    expect([...g.initialized].map(([hex, t]) => [hex, t.name, [...t.partitions].sort()])).toEqual([[T, 't', [0, 1]]]);
    expect([...g.members].map(([id, m]) => [id, m.metadata?.subscribedTopicNames, m.memberEpoch, m.previousMemberEpoch, [...m.target]])).toEqual([
      ['a', ['t'], 1, 0, [[T, [0]]]],
      ['b', ['t', 'u'], 2, 0, [[T, [1]]]],
    ]);
  });

  it('member tombstones remove the member; a group tombstone removes the group; a group may come back', async () => {
    const { store } = records();
    await store.append('g', [memberRecord('g', member('a')), memberRecord('g', member('b')), groupEpochRecord('g', 2), currentAssignmentRecord('g', 'a', 2, 1, new Map())]);
    await store.append('g', [...memberTombstones('g', 'a'), groupEpochRecord('g', 3)]);
    expect([...(await store.loadPartition(0)).get('g')!.members.keys()]).toEqual(['b']);
    await store.append('g', [...memberTombstones('g', 'b'), ...groupTombstones('g')]);
    expect((await store.loadPartition(0)).has('g')).toBe(false);
    await store.append('g', [groupEpochRecord('g', 1)]);
    const again = (await store.loadPartition(0)).get('g')!;
    expect([again.epoch, again.members.size, again.initialized.size]).toEqual([1, 0, 0]);
  });

  it('ignores other record types and leaves partial members (no metadata) without metadata', async () => {
    const { log, store } = records();
    // A classic group's metadata key (type 2) and a consumer group's member (type 5): not share groups'.
    await log.append(0, [{ key: Buffer.from([0, 2, 0, 1, 0x67]), value: Buffer.from([0, 3]) }, { key: Buffer.from([0, 5, 0, 1, 0x67, 0, 1, 0x61]), value: Buffer.from([0, 0]) }]);
    await store.append('g', [currentAssignmentRecord('g', 'z', 4, 3, new Map())]);
    const g = (await store.loadPartition(0)).get('g')!;
    expect(g.members.get('z')?.metadata).toBeNull();
    expect((await store.load()).size).toBe(1);
  });
});
