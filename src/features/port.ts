/**
 * What the rest of the broker uses of feature levels: the group and transaction coordinators ask
 * `finalizedLevel` (a map read) before acting on a level-gated behaviour; ApiVersions and
 * UpdateFeatures use the rest.
 */
import type { SupportedRange } from './definitions.js';
import type { FeatureUpdate } from './update.js';
import type { FinalizedFeatures } from './finalized.js';

export interface FeatureLevelsReader {
  /** The cluster-wide finalized level of `name`; 0 when it is not finalized (or unknown). */
  finalizedLevel(name: string): number;
}

export interface ApiVersionsFeatures {
  supportedFeatures: Array<{ name: string; minVersion: number; maxVersion: number }>;
  finalizedFeaturesEpoch: number;
  finalizedFeatures: Array<{ name: string; maxVersionLevel: number; minVersionLevel: number }>;
}

export interface FeaturesPort extends FeatureLevelsReader {
  /** This broker's supported ranges. */
  supported(): ReadonlyMap<string, SupportedRange>;
  finalized(): FinalizedFeatures;
  /**
   * ApiVersions' feature fields. Before v4 a supported range starting at 0 is left out (KAFKA-17011:
   * older clients refused such ranges). Cached until the finalized state changes.
   */
  apiVersionsFields(version: number): ApiVersionsFeatures;
  /** Checks, then (unless validateOnly) applies the updates; throws KafkaError (INVALID_UPDATE_VERSION, REQUEST_TIMED_OUT). */
  update(updates: readonly FeatureUpdate[], validateOnly: boolean): Promise<void>;
}
