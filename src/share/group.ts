/**
 * Share group membership (KIP-932), without I/O: members with their subscriptions and epochs,
 * the group epoch (bumped by every membership, subscription or subscribed-topic metadata change)
 * and the assignment computed at it by the simple assignor. Unlike a consumer group there is no
 * revocation: a partition may be given to several members at once, and records, not partitions,
 * are what members hold exclusively (share-partition.ts).
 */

export interface ShareMember {
  readonly memberId: string;
  memberEpoch: number;
  /** The epoch before the last one sent (-1: none); persisted with it (record type 14). */
  previousMemberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** topic id hex → partitions. */
  assignment: Map<string, number[]>;
  /** The assignment epoch the member was last told about (-1: never). */
  sentEpoch: number;
  sessionTimer: NodeJS.Timeout | null;
}

export interface TopicInfo {
  name: string;
  id: Buffer;
  partitions: number;
}

export class ShareGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** Hash of the subscribed topics' (name, id, partition count) at the group epoch. */
  metadataKey = '';
  readonly members = new Map<string, ShareMember>();
  /** topic id hex → name and partitions with initialised share state (persisted, group-records.ts). */
  readonly initialized = new Map<string, { name: string; partitions: Set<number> }>();
  /** Writes of this group's records, one at a time in order. */
  persistChain: Promise<void> = Promise.resolve();

  constructor(readonly groupId: string) {}

  get stateName(): 'Empty' | 'Stable' {
    return this.members.size === 0 ? 'Empty' : 'Stable';
  }

  subscribedTopics(): Set<string> {
    const s = new Set<string>();
    for (const m of this.members.values()) for (const t of m.subscribedTopicNames) s.add(t);
    return s;
  }

  /**
   * Kafka's SimpleAssignor for a homogeneous subscription: with no more members than partitions,
   * partition i goes to member i mod M (each partition to one member); with more members than
   * partitions, member j gets partition j mod P, so every member has work and partitions are
   * shared. Members subscribed to different topics are assigned per topic among its subscribers.
   */
  assign(topics: ReadonlyMap<string, TopicInfo>): void {
    for (const m of this.members.values()) m.assignment = new Map();
    const ids = [...this.members.keys()].sort();
    for (const [name, t] of topics) {
      const subs = ids.filter((id) => this.members.get(id)!.subscribedTopicNames.includes(name));
      if (subs.length === 0 || t.partitions === 0) continue;
      const hex = t.id.toString('hex');
      const give = (memberId: string, p: number) => {
        const a = this.members.get(memberId)!.assignment;
        let ps = a.get(hex);
        if (!ps) a.set(hex, (ps = []));
        if (!ps.includes(p)) ps.push(p);
      };
      if (subs.length <= t.partitions) for (let p = 0; p < t.partitions; p++) give(subs[p % subs.length]!, p);
      else for (let j = 0; j < subs.length; j++) give(subs[j]!, j % t.partitions);
    }
    this.assignmentEpoch = this.groupEpoch;
  }

  /** Adds the partitions now assigned to the initialised ones (type 15); true when any was new. */
  noteAssigned(topics: ReadonlyMap<string, TopicInfo>): boolean {
    const names = new Map([...topics.values()].map((t) => [t.id.toString('hex'), t.name]));
    let added = false;
    for (const m of this.members.values()) {
      for (const [hex, partitions] of m.assignment) {
        let t = this.initialized.get(hex);
        if (!t) this.initialized.set(hex, (t = { name: names.get(hex) ?? '', partitions: new Set() }));
        for (const p of partitions) {
          if (t.partitions.has(p)) continue;
          t.partitions.add(p);
          added = true;
        }
      }
    }
    return added;
  }
}
