/**
 * Replica placement (src/cluster/assignment.ts) against the assignments Kafka's own tests expect
 * from AdminUtils.assignReplicasToBrokers (AdminUtilsTest, AdminRackAwareTest), and the
 * properties those tests check with random start indexes: every partition on as many racks as it
 * has replicas, leaders and replicas spread evenly.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { assignAddedPartitions, assignReplicasToBrokers, rackAlternatedBrokers } from '../../../src/cluster/assignment.js';

const asObject = (m: Map<number, number[]>) => Object.fromEntries([...m].sort((a, b) => a[0] - b[0]));
const brokers = (racks: Record<number, string | null>) => Object.entries(racks).map(([id, rack]) => ({ id: Number(id), rack }));

describe('assignReplicasToBrokers', () => {
  it('rack-unaware with a fixed start: Kafka AdminUtilsTest.testReplicaAssignment', () => {
    const five = [0, 1, 2, 3, 4].map((id) => ({ id, rack: null }));
    expect(asObject(assignReplicasToBrokers(five, 10, 3, { fixedStartIndex: 0 }))).toEqual({
      0: [0, 1, 2], 1: [1, 2, 3], 2: [2, 3, 4], 3: [3, 4, 0], 4: [4, 0, 1],
      5: [0, 2, 3], 6: [1, 3, 4], 7: [2, 4, 0], 8: [3, 0, 1], 9: [4, 1, 2],
    });
  });

  it('rack-aware with a fixed start: Kafka AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers', () => {
    const rackMap = { 0: 'rack1', 1: 'rack3', 2: 'rack3', 3: 'rack2', 4: 'rack2', 5: 'rack1' };
    expect(rackAlternatedBrokers(brokers(rackMap) as Array<{ id: number; rack: string }>)).toEqual([0, 3, 1, 5, 4, 2]);
    expect(asObject(assignReplicasToBrokers(brokers(rackMap), 7, 3, { fixedStartIndex: 0, startPartitionId: 0 }))).toEqual({
      0: [0, 3, 1], 1: [3, 1, 5], 2: [1, 5, 4], 3: [5, 4, 2], 4: [4, 2, 0], 5: [2, 0, 3], 6: [0, 4, 2],
    });
  });

  it('rack-aware from random starts: each partition spans RF racks, leaders and replicas even', () => {
    const rackMap = { 0: 'rack1', 1: 'rack2', 2: 'rack2', 3: 'rack3', 4: 'rack3', 5: 'rack1' };
    for (let seed = 0; seed < 20; seed++) {
      const a = assignReplicasToBrokers(brokers(rackMap), 6, 3, { random: (n) => (seed * 7 + 3) % n });
      const leaders = new Map<number, number>();
      const replicas = new Map<number, number>();
      for (const list of a.values()) {
        expect(new Set(list.map((b) => rackMap[b as keyof typeof rackMap])).size).toBe(3);
        expect(new Set(list).size).toBe(3);
        leaders.set(list[0]!, (leaders.get(list[0]!) ?? 0) + 1);
        for (const b of list) replicas.set(b, (replicas.get(b) ?? 0) + 1);
      }
      expect([...leaders.values()]).toEqual([1, 1, 1, 1, 1, 1]);
      expect([...replicas.values()]).toEqual([3, 3, 3, 3, 3, 3]);
    }
  });

  it('refuses what Kafka refuses', () => {
    const two = [{ id: 1, rack: null }, { id: 2, rack: null }];
    expect(() => assignReplicasToBrokers(two, 3, 3)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_REPLICATION_FACTOR }));
    expect(() => assignReplicasToBrokers(two, 0, 1)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_PARTITIONS }));
    expect(() => assignReplicasToBrokers([{ id: 1, rack: 'a' }, { id: 2, rack: null }], 1, 1)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_REPLICA_ASSIGNMENT }));
  });

  it('added partitions keep partition 0 replication factor and number after the existing ones', () => {
    const three = [1, 2, 3].map((id) => ({ id, rack: null }));
    const existing = new Map([[0, [2, 3]], [1, [3, 1]]]);
    const added = assignAddedPartitions(three, existing, 5);
    expect([...added.keys()]).toEqual([2, 3, 4]);
    for (const list of added.values()) expect(new Set(list).size).toBe(2);
  });
});
