/**
 * Paces group-membership tests by the group's own progress instead of fixed pauses: what each
 * member owns now (from the assign / revoke / lost events its client reported), and a wait until a
 * rebalance has finished — every partition owned by exactly one live member, each owning some.
 */

/** A member as the group tests see it: the ownership events its client printed. */
export interface OwnershipEvents {
  events: ReadonlyArray<{ event: string; partitions?: readonly string[] }>;
}

/** The partitions a member owns now. */
export function owned(m: OwnershipEvents): Set<string> {
  const now = new Set<string>();
  for (const e of m.events) {
    if (e.event === 'assigned') for (const p of e.partitions ?? []) now.add(p);
    if (e.event === 'revoked' || e.event === 'lost') for (const p of e.partitions ?? []) now.delete(p);
  }
  return now;
}

/**
 * Waits (up to `timeoutMs`, then goes on: the checks after the run report what went wrong) until
 * the `partitions` partitions are each owned by exactly one of `live`, and each of them owns some.
 */
export async function settled(live: readonly OwnershipEvents[], partitions: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const done = () => {
    const sets = live.map(owned);
    const union = new Set(sets.flatMap((x) => [...x]));
    return union.size === partitions && sets.reduce((n, x) => n + x.size, 0) === partitions && sets.every((x) => x.size > 0);
  };
  while (Date.now() < deadline && !done()) await new Promise((r) => setTimeout(r, 100));
}
