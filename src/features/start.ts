/**
 * Opening the broker's feature levels (the composition root's one call): the store for the mode
 * (the data dir's metadata file, or etcd through the metadata image), this build's supported
 * ranges, the other brokers' ranges from their registrations, and a start error when the stored
 * levels are beyond this build.
 */
import type { ClusterImage } from '../cluster/metadata-image.js';
import type { ClusterMode } from '../cluster/cluster-mode.js';
import type { ConfigView } from '../config/view.js';
import { BrokerStartError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TopicStore } from '../metadata/topic-store.js';
import { type SupportedRange, supportedFeatures } from './definitions.js';
import { FeatureLevels, IncompatibleFeaturesError } from './feature-levels.js';
import { EtcdFeatureStore, FileFeatureStore } from './stores.js';

export async function openFeatureLevels(nodeId: number, config: ConfigView, store: TopicStore, cluster: ClusterMode | null, log: Logger): Promise<FeatureLevels> {
  const featureStore = cluster
    ? new EtcdFeatureStore(cluster.store, () => cluster.current(), (revision, ms) => cluster.imageAt(revision, ms), cluster.settings.requestTimeoutMs)
    : new FileFeatureStore(store);
  try {
    return await FeatureLevels.open({
      nodeId,
      store: featureStore,
      supported: supportedFeatures(config.bool('unstable.feature.versions.enable')),
      brokers: cluster ? () => brokerFeatureRanges(cluster.current().brokers) : undefined,
      log: log.child({ component: 'features' }),
    });
  } catch (err) {
    if (err instanceof IncompatibleFeaturesError) throw new BrokerStartError(err.message);
    throw err;
  }
}

/** Each registered broker's supported feature ranges (a broker registered without them supports none). */
function brokerFeatureRanges(brokers: ClusterImage['brokers']): Map<number, Map<string, SupportedRange>> {
  const out = new Map<number, Map<string, SupportedRange>>();
  for (const [id, b] of brokers) out.set(id, new Map(Object.entries(b.features ?? {}).map(([name, [min, max]]) => [name, { min, max }])));
  return out;
}

/** This build's supported ranges as a broker registration carries them. */
export function registrationRanges(features: FeatureLevels): Record<string, [number, number]> {
  return Object.fromEntries([...features.supported()].map(([name, r]) => [name, [r.min, r.max]]));
}
