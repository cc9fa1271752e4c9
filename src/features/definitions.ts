/**
 * The one table of feature levels this Runnel build supports (KIP-584 feature flags, as Kafka 4.x
 * advertises them in ApiVersions and changes them with UpdateFeatures).
 *
 * Each feature has the levels Runnel serves in production (`productionMax`) and the newest level
 * that exists in the code at all (`latestMax`); levels in between are still being built and are
 * only offered with `unstable.feature.versions.enable=true` (Kafka's own switch for the same
 * thing). A feature's finalized level gates the broker behaviour that level stands for: raise
 * `productionMax` here in the same change that makes the behaviour complete, never before —
 * clients switch protocols on what is finalized (a Java producer uses KIP-890 transactions when
 * transaction.version >= 2).
 *
 * Which level each feature gets, and why (Kafka 4.4 supports the maximum in brackets):
 *
 *   metadata.version                  33 only [7-33]  Runnel has one metadata format (runnel-metadata.json /
 *                                                     etcd records), not KRaft's log; 33 is 4.4-IV2, the release
 *                                                     whose APIs Runnel answers. It cannot be moved.
 *   transaction.version               2 [2]            1 = flexible __transaction_state records, 2 = KIP-890
 *                                                     (epoch bump per transaction, implicit partition adds;
 *                                                     docs/transactions.md). New clusters start at 2, as
 *                                                     Kafka 4.x ones do; `kafka-features downgrade` returns
 *                                                     clients to the original protocol.
 *   group.version                     1 [1]            1 = the KIP-848 consumer group protocol (ConsumerGroupHeartbeat and
 *                                                     ConsumerGroupDescribe answer UNSUPPORTED_VERSION below it, as Kafka).
 *   share.version                     2 [2]            1 = share groups (KIP-932: ShareGroupHeartbeat/Describe, ShareFetch,
 *                                                     ShareAcknowledge; docs/share-groups.md); 2 = groups' dead-letter
 *                                                     topics (KIP-1191), Kafka's SV_2: below it they are not written.
 *   streams.version                   0 [1]            streams groups (KIP-1071) are not served.
 *   eligible.leader.replicas.version  0 [1]            no ELR (KIP-966): DescribeTopicPartitions shows empty ELR lists.
 *   kraft.version                     not listed [1]   Runnel has no KRaft quorum.
 */

export interface FeatureDefinition {
  readonly name: string;
  /** The lowest level this build can run at. */
  readonly minLevel: number;
  /** The highest level this build serves in production (what a new cluster starts at). */
  readonly productionMax: number;
  /** The highest level the code knows; above productionMax only with unstable.feature.versions.enable. */
  readonly latestMax: number;
  /** What each level means, for logs and docs. */
  readonly levels: Readonly<Record<number, string>>;
}

export const METADATA_VERSION = 'metadata.version';
export const TRANSACTION_VERSION = 'transaction.version';
export const GROUP_VERSION = 'group.version';
export const SHARE_VERSION = 'share.version';
/** The share.version level at which groups' dead-letter topics (KIP-1191) are written (Kafka 4.4's SV_2). */
export const SHARE_VERSION_DEAD_LETTERS = 2;
export const STREAMS_VERSION = 'streams.version';
export const ELIGIBLE_LEADER_REPLICAS_VERSION = 'eligible.leader.replicas.version';

/** Kafka 4.4-IV2's metadata.version feature level. */
export const METADATA_VERSION_LEVEL = 33;

export const FEATURES: readonly FeatureDefinition[] = [
  {
    name: METADATA_VERSION,
    minLevel: METADATA_VERSION_LEVEL,
    productionMax: METADATA_VERSION_LEVEL,
    latestMax: METADATA_VERSION_LEVEL,
    levels: { [METADATA_VERSION_LEVEL]: '4.4-IV2: the Kafka release whose APIs Runnel answers' },
  },
  {
    name: TRANSACTION_VERSION,
    minLevel: 0,
    productionMax: 2,
    latestMax: 2,
    levels: { 0: 'KIP-98 transactions', 1: 'flexible __transaction_state records', 2: 'KIP-890: epoch bump per transaction, implicit partition adds' },
  },
  {
    name: GROUP_VERSION,
    minLevel: 0,
    productionMax: 1,
    latestMax: 1,
    levels: { 0: 'classic group protocol', 1: 'KIP-848 consumer group protocol' },
  },
  { name: SHARE_VERSION, minLevel: 0, productionMax: 2, latestMax: 2, levels: { 0: 'no share groups', 1: 'KIP-932 share groups', [SHARE_VERSION_DEAD_LETTERS]: 'KIP-1191 share group dead-letter topics' } },
  { name: STREAMS_VERSION, minLevel: 0, productionMax: 0, latestMax: 0, levels: { 0: 'no streams groups' } },
  { name: ELIGIBLE_LEADER_REPLICAS_VERSION, minLevel: 0, productionMax: 0, latestMax: 0, levels: { 0: 'no eligible leader replicas' } },
];

/** A supported range as ApiVersions and broker registrations carry it. */
export interface SupportedRange {
  readonly min: number;
  readonly max: number;
}

/** The ranges this build supports: production levels, or every level the code knows when `unstable`. */
export function supportedFeatures(unstable: boolean): ReadonlyMap<string, SupportedRange> {
  return new Map(FEATURES.map((f) => [f.name, { min: f.minLevel, max: unstable ? f.latestMax : f.productionMax }]));
}

/**
 * The levels a new cluster (a fresh data dir, or an etcd prefix without features) is finalized
 * at: each feature's production level, as `kafka-storage format` starts a new cluster at the
 * latest production levels even when unstable levels are enabled. Level 0 means "not finalized"
 * and is not stored.
 */
export function bootstrapLevels(): Map<string, number> {
  const levels = new Map<string, number>();
  for (const f of FEATURES) if (f.productionMax > 0) levels.set(f.name, f.productionMax);
  return levels;
}
