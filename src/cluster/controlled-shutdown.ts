/**
 * Controlled shutdown, the broker's side (docs/cluster.md; controlled.shutdown.enable): the
 * stopping broker marks its registration `shuttingDown`, waits until the controller has moved its
 * leaderships away and taken it out of the ISRs, then revokes its lease (Registration.stop).
 *
 * "Done" is judged on the metadata image with the controller's own rules (partition-changes.ts):
 * every partition this broker leads or is in the ISR of needs no further change. A partition with
 * no other live ISR member keeps this broker as leader until its lease goes (a controlled shutdown
 * does not take a partition offline while it can still serve); it is counted in `remaining`.
 */
import { livenessOf, uncleanFor } from './controller.js';
import type { ClusterImage, MetadataImage } from './metadata-image.js';
import { reconcile } from './partition-changes.js';
import type { Registration } from './registration.js';

export interface ControlledShutdownResult {
  /** The image showed every leadership that could move moved. False: the wait timed out (no controller?). */
  completed: boolean;
  /** Partitions this broker still leads (no other live ISR member could take them). */
  remaining: number;
}

/** Whether the controller has nothing left to do for `brokerId`'s partitions in `image`. */
export function shutdownSettled(image: ClusterImage, brokerId: number, uncleanDefault: boolean): boolean {
  if (image.brokers.get(brokerId)?.shuttingDown !== true) return false;
  const live = livenessOf(image);
  for (const [topic, partitions] of image.partitions) {
    for (const p of partitions.values()) {
      if (p.leader !== brokerId && !p.isr.includes(brokerId)) continue;
      if (reconcile(p, live, uncleanFor(image, topic, uncleanDefault))) return false;
    }
  }
  return true;
}

export function leaderships(image: ClusterImage, brokerId: number): number {
  let n = 0;
  for (const partitions of image.partitions.values()) for (const p of partitions.values()) if (p.leader === brokerId) n++;
  return n;
}

/** Marks the broker shutting down and waits (at most `timeoutMs`) for its leaderships to move. */
export async function controlledShutdown(registration: Registration, image: MetadataImage, brokerId: number, timeoutMs: number, uncleanDefault = false): Promise<ControlledShutdownResult> {
  await registration.markShuttingDown();
  const settled = await image.waitFor((i) => shutdownSettled(i, brokerId, uncleanDefault), timeoutMs);
  return { completed: settled !== null, remaining: leaderships(settled ?? image.current(), brokerId) };
}
