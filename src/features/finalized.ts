/**
 * Finalized feature levels: the cluster-wide levels every broker acts on, and how they are
 * stored (one JSON object, in runnel-metadata.json on a single node and under the etcd key
 * `features` in a cluster).
 *
 * The epoch orders the states for clients (ApiVersions' FinalizedFeaturesEpoch: a client that talks
 * to several brokers believes the highest): a counter on a single node, the etcd key's mod
 * revision in a cluster — the same on every broker for the same state.
 */

export interface FinalizedFeatures {
  /** >= 0; -1 only before the first state is known. */
  readonly epoch: number;
  /** Finalized level by feature name; a feature not listed is at level 0. */
  readonly levels: ReadonlyMap<string, number>;
}

/** The stored form: `{ "epoch": 3, "levels": { "metadata.version": 33 } }` (the epoch only on a single node). */
export interface StoredFeatures {
  epoch?: number;
  levels: Record<string, number>;
}

const LEVEL = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0x7fff;

/** The stored object, or null when it is not one (another version, a hand edit). */
export function decodeStoredFeatures(v: unknown): StoredFeatures | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (o.epoch !== undefined && !(Number.isSafeInteger(o.epoch) && (o.epoch as number) >= 0)) return null;
  if (typeof o.levels !== 'object' || o.levels === null || Array.isArray(o.levels)) return null;
  const levels: Record<string, number> = {};
  for (const [name, level] of Object.entries(o.levels as Record<string, unknown>)) {
    if (!LEVEL(level)) return null;
    if (level > 0) levels[name] = level;
  }
  return o.epoch === undefined ? { levels } : { epoch: o.epoch as number, levels };
}

export function storedFeatures(levels: ReadonlyMap<string, number>, epoch?: number): StoredFeatures {
  const out: Record<string, number> = {};
  for (const [name, level] of [...levels].sort(([a], [b]) => a.localeCompare(b))) if (level > 0) out[name] = level;
  return epoch === undefined ? { levels: out } : { epoch, levels: out };
}

export function levelsOf(stored: StoredFeatures): Map<string, number> {
  return new Map(Object.entries(stored.levels));
}
