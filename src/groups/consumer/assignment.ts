/**
 * Assignments of the consumer group protocol (KIP-848): topic id (hex) → partitions. Topic ids are
 * kept as hex strings so they can be map keys; the wire and the records carry the 16 bytes.
 * Small helpers over that shape, shared by the assignors, the reconciliation and the records.
 */

/** topic id (32 hex chars) → partition numbers. Never holds an empty set. */
export type Assignment = Map<string, Set<number>>;

export const EMPTY_ASSIGNMENT: Assignment = new Map();

export function assignmentFrom(list: ReadonlyArray<{ topicId: Buffer; partitions: readonly number[] }>): Assignment {
  const out: Assignment = new Map();
  for (const t of list) {
    if (t.partitions.length === 0) continue;
    const key = t.topicId.toString('hex');
    let s = out.get(key);
    if (!s) out.set(key, (s = new Set()));
    for (const p of t.partitions) s.add(p);
  }
  return out;
}

export function assignmentToList(a: Assignment): Array<{ topicId: Buffer; partitions: number[] }> {
  return [...a].map(([id, parts]) => ({ topicId: Buffer.from(id, 'hex'), partitions: [...parts].sort((x, y) => x - y) }));
}

export function addPartition(a: Assignment, topicId: string, partition: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(partition);
}

export function hasPartition(a: Assignment, topicId: string, partition: number): boolean {
  return a.get(topicId)?.has(partition) ?? false;
}

export function partitionCount(a: Assignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false;
  for (const [t, s] of a) {
    const o = b.get(t);
    if (!o || o.size !== s.size) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  return true;
}

/** Whether every partition of `a` is in `b`. */
export function isSubset(a: Assignment, b: Assignment): boolean {
  for (const [t, s] of a) {
    const o = b.get(t);
    if (!o) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  return true;
}

/** Whether `a` and `b` share a partition. */
export function intersects(a: Assignment, b: Assignment): boolean {
  for (const [t, s] of a) {
    const o = b.get(t);
    if (o) for (const p of s) if (o.has(p)) return true;
  }
  return false;
}

export function* partitionsOf(a: Assignment): Generator<[string, number]> {
  for (const [t, s] of a) for (const p of s) yield [t, p];
}
