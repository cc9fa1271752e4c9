/**
 * Finalized feature levels: the cluster-wide levels every broker acts on, and how they are
 * stored (one JSON object, in runnel-metadata.json on a single node and under the etcd key
 * `features` in a cluster).
 *
 * The epoch orders the states for clients (ApiVersions' FinalizedFeaturesEpoch: a client that talks
 * to several brokers believes the highest): a counter on a single node, the etcd key's mod
 * revision in a cluster — the same on every broker for the same state.
 */

import type { StoredFeatures } from '../cluster/records.js';

export { type StoredFeatures, decodeStoredFeatures } from '../cluster/records.js';

export interface FinalizedFeatures {
  /** >= 0; -1 only before the first state is known. */
  readonly epoch: number;
  /** Finalized level by feature name; a feature not listed is at level 0. */
  readonly levels: ReadonlyMap<string, number>;
}

export function storedFeatures(levels: ReadonlyMap<string, number>, epoch?: number): StoredFeatures {
  const out: Record<string, number> = {};
  for (const [name, level] of [...levels].sort(([a], [b]) => a.localeCompare(b))) if (level > 0) out[name] = level;
  return epoch === undefined ? { levels: out } : { epoch, levels: out };
}

export function levelsOf(stored: StoredFeatures): Map<string, number> {
  return new Map(Object.entries(stored.levels));
}
