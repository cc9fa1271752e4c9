/**
 * Where finalized feature levels live: on a single node in runnel-metadata.json (written by the
 * topic store, atomically, through the storage fs seam), in a cluster under the etcd key `features`
 * (read through the metadata image like every other cluster-wide setting, written with a
 * compare-and-swap on its mod revision).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { EtcdStore } from '../cluster/etcd.js';
import { absent, isEtcdError, unchanged } from '../cluster/etcd-types.js';
import type { ClusterImage } from '../cluster/metadata-image.js';
import { FEATURES_KEY } from '../cluster/records.js';
import type { TopicStore } from '../metadata/topic-store.js';
import { type FinalizedFeatures, levelsOf, storedFeatures } from './finalized.js';

export interface FeatureStore {
  /** The finalized state now (the same object until it changes, so callers can cache on it). */
  current(): FinalizedFeatures;
  /** True when nothing is stored yet (a new cluster: the bootstrap levels go in). */
  empty(): boolean;
  /**
   * Stores `levels` if the state is still `expected`; resolves false when another writer got there
   * first (re-check and retry). Resolves once current() shows the new state.
   */
  write(levels: ReadonlyMap<string, number>, expected: FinalizedFeatures): Promise<boolean>;
}

const EMPTY: FinalizedFeatures = { epoch: -1, levels: new Map() };

/** A single node: the levels and a counter epoch in runnel-metadata.json. */
export class FileFeatureStore implements FeatureStore {
  private state: FinalizedFeatures;

  constructor(private readonly topics: TopicStore) {
    const s = topics.features;
    this.state = s ? { epoch: s.epoch ?? 0, levels: levelsOf(s) } : EMPTY;
  }

  current(): FinalizedFeatures {
    return this.state;
  }

  empty(): boolean {
    return this.topics.features === null;
  }

  async write(levels: ReadonlyMap<string, number>, expected: FinalizedFeatures): Promise<boolean> {
    if (this.state !== expected) return false;
    const epoch = this.state.epoch + 1;
    await this.topics.setFeatures(storedFeatures(levels, epoch));
    this.state = { epoch, levels: new Map(levels) };
    return true;
  }
}

/** A cluster: the etcd key `features`, as the metadata image holds it; its mod revision is the epoch. */
export class EtcdFeatureStore implements FeatureStore {
  private seen: ClusterImage['features'] | undefined;
  private state: FinalizedFeatures = EMPTY;

  constructor(
    private readonly etcd: EtcdStore,
    private readonly image: () => ClusterImage,
    /** Resolves true once this broker's metadata image is at `revision` (cluster-mode.ts imageAt). */
    private readonly imageAt: (revision: number, timeoutMs: number) => Promise<boolean>,
    private readonly timeoutMs: number,
  ) {}

  current(): FinalizedFeatures {
    const f = this.image().features;
    if (f !== this.seen) {
      this.seen = f;
      this.state = f ? { epoch: f.modRevision, levels: levelsOf(f.stored) } : EMPTY;
    }
    return this.state;
  }

  empty(): boolean {
    return this.image().features === null;
  }

  async write(levels: ReadonlyMap<string, number>, expected: FinalizedFeatures): Promise<boolean> {
    const value = JSON.stringify(storedFeatures(levels));
    const compare = expected.epoch < 0 ? absent(FEATURES_KEY) : unchanged(FEATURES_KEY, expected.epoch);
    let revision: number;
    try {
      const r = await this.etcd.txn([compare], [{ op: 'put', key: FEATURES_KEY, value }]);
      if (!r.succeeded) return false;
      revision = r.revision;
    } catch (err) {
      if (isEtcdError(err)) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `update features: etcd did not answer (${err.message}); retry`);
      throw err;
    }
    // Answer once this broker's image has it, so its next ApiVersions shows the change.
    await this.imageAt(revision, this.timeoutMs);
    return true;
  }
}

/** In memory (tests, embedded fakes): starts at `levels` with epoch 0. */
export class MemoryFeatureStore implements FeatureStore {
  private state: FinalizedFeatures;

  constructor(levels: ReadonlyMap<string, number>) {
    this.state = { epoch: 0, levels: new Map(levels) };
  }

  current(): FinalizedFeatures {
    return this.state;
  }

  empty(): boolean {
    return false;
  }

  async write(levels: ReadonlyMap<string, number>, expected: FinalizedFeatures): Promise<boolean> {
    if (this.state !== expected) return false;
    this.state = { epoch: this.state.epoch + 1, levels: new Map(levels) };
    return true;
  }
}
