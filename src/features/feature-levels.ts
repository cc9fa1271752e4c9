/**
 * The broker's feature levels (FeaturesPort): this build's supported ranges, the cluster's
 * finalized levels from the store, ApiVersions' feature fields, and UpdateFeatures.
 *
 * At start (`open`) a new cluster is finalized at the bootstrap levels, and finalized levels this
 * build cannot run at stop the start, as a Kafka broker refuses to register with a cluster whose
 * finalized levels it does not support: acting on a level it does not implement would break clients.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import { type SupportedRange, bootstrapLevels } from './definitions.js';
import type { FinalizedFeatures } from './finalized.js';
import type { ApiVersionsFeatures, FeaturesPort } from './port.js';
import { type FeatureStore, MemoryFeatureStore } from './stores.js';
import { silentLogger } from '../logger.js';
import { supportedFeatures } from './definitions.js';
import { type FeatureUpdate, applyUpdates } from './update.js';

/** Compare-and-swap rounds an update tries when other brokers keep changing the levels. */
const MAX_UPDATE_ATTEMPTS = 5;

export class IncompatibleFeaturesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompatibleFeaturesError';
  }
}

export interface FeatureLevelsOptions {
  nodeId: number;
  store: FeatureStore;
  supported: ReadonlyMap<string, SupportedRange>;
  /** The other live brokers' supported ranges (a cluster; from their registrations). */
  brokers?: () => ReadonlyMap<number, ReadonlyMap<string, SupportedRange>>;
  log: Logger;
}

export class FeatureLevels implements FeaturesPort {
  private cachedFor: FinalizedFeatures | null = null;
  private cached: [ApiVersionsFeatures, ApiVersionsFeatures] | null = null;

  private constructor(private readonly opts: FeatureLevelsOptions) {}

  /** Bootstraps an empty store, then checks the finalized levels against this build. Throws IncompatibleFeaturesError. */
  static async open(opts: FeatureLevelsOptions): Promise<FeatureLevels> {
    const f = new FeatureLevels(opts);
    if (opts.store.empty()) {
      const levels = bootstrapLevels();
      // Lost to another broker bootstrapping at the same time: its levels stand.
      if (await opts.store.write(levels, opts.store.current())) opts.log.info({ levels: Object.fromEntries(levels) }, 'feature levels finalized for a new cluster');
    }
    f.checkCompatible();
    return f;
  }

  /** In memory at the bootstrap levels (handler unit tests, fakes). */
  static inMemory(nodeId = 1, unstable = false): FeatureLevels {
    return new FeatureLevels({ nodeId, store: new MemoryFeatureStore(bootstrapLevels()), supported: supportedFeatures(unstable), log: silentLogger() });
  }

  private checkCompatible(): void {
    for (const [name, level] of this.finalized().levels) {
      const r = this.opts.supported.get(name);
      if (r && level >= r.min && level <= r.max) continue;
      throw new IncompatibleFeaturesError(
        `the cluster's finalized ${name} level ${level} is not supported by this Runnel build (` +
          (r ? `supported: ${r.min}-${r.max}` : 'unknown feature') +
          '); run a build that supports it, or set unstable.feature.versions.enable=true if it is a level still in development',
      );
    }
  }

  finalizedLevel(name: string): number {
    return this.opts.store.current().levels.get(name) ?? 0;
  }

  supported(): ReadonlyMap<string, SupportedRange> {
    return this.opts.supported;
  }

  finalized(): FinalizedFeatures {
    return this.opts.store.current();
  }

  apiVersionsFields(version: number): ApiVersionsFeatures {
    const state = this.opts.store.current();
    if (this.cachedFor !== state || this.cached === null) {
      this.cached = [this.fields(state, false), this.fields(state, true)];
      this.cachedFor = state;
    }
    return this.cached[version >= 4 ? 1 : 0];
  }

  private fields(state: FinalizedFeatures, zeroMinAllowed: boolean): ApiVersionsFeatures {
    const supportedFeatures = [...this.opts.supported]
      .filter(([, r]) => zeroMinAllowed || r.min > 0)
      .map(([name, r]) => ({ name, minVersion: r.min, maxVersion: r.max }));
    const finalizedFeatures = [...state.levels].filter(([, l]) => l > 0).map(([name, level]) => ({ name, maxVersionLevel: level, minVersionLevel: level }));
    return { supportedFeatures, finalizedFeaturesEpoch: state.epoch, finalizedFeatures };
  }

  async update(updates: readonly FeatureUpdate[], validateOnly: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = this.opts.store.current();
      const next = applyUpdates(current.levels, updates, { nodeId: this.opts.nodeId, supported: this.opts.supported, brokers: this.opts.brokers?.() });
      if (validateOnly || updates.length === 0) return;
      if (await this.opts.store.write(next, current)) {
        this.opts.log.info({ updates: updates.map((u) => ({ feature: u.feature, level: u.level, upgradeType: u.upgradeType })) }, 'feature levels updated');
        return;
      }
      if (attempt >= MAX_UPDATE_ATTEMPTS) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the feature levels kept changing under ${MAX_UPDATE_ATTEMPTS} attempts; retry`);
    }
  }
}
