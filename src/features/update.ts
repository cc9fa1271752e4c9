/**
 * UpdateFeatures' rules, as Kafka's controller applies them (FeatureControlManager): each update
 * is checked against the current levels, this broker's supported ranges and every other live
 * broker's; the first failure fails the whole request (nothing changes) with INVALID_UPDATE_VERSION
 * and Kafka's message, prefixed as Kafka prefixes it. A pure function, so the handler, the single
 * node and the cluster stores share it and unit tests can drive it.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { METADATA_VERSION, type SupportedRange } from './definitions.js';

/** UpdateFeatures' UpgradeType (v1+; v0 requests are upgrades). */
export const UpgradeType = { UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const;

export interface FeatureUpdate {
  feature: string;
  level: number;
  upgradeType: number;
}

export interface UpdateCheck {
  /** This broker, which acts as the controller that checks the update. */
  nodeId: number;
  supported: ReadonlyMap<string, SupportedRange>;
  /** The other live brokers' supported ranges (a cluster); a broker without a range for a feature does not support it. */
  brokers?: ReadonlyMap<number, ReadonlyMap<string, SupportedRange>>;
}

/** The levels after `updates`, or a KafkaError (INVALID_UPDATE_VERSION) naming the first bad update. */
export function applyUpdates(current: ReadonlyMap<string, number>, updates: readonly FeatureUpdate[], check: UpdateCheck): Map<string, number> {
  const next = new Map(current);
  for (const u of updates) {
    const reason = reasonInvalid(current, u, check);
    if (reason !== null) {
      throw new KafkaError(ErrorCode.INVALID_UPDATE_VERSION, `The update failed for all features since the following feature had an error: ${reason}`);
    }
    if (u.level === 0) next.delete(u.feature);
    else next.set(u.feature, u.level);
  }
  return next;
}

function reasonInvalid(current: ReadonlyMap<string, number>, u: FeatureUpdate, check: UpdateCheck): string | null {
  const invalid = (why: string) => `Invalid update version ${u.level} for feature ${u.feature}. ${why}`;
  if (u.upgradeType !== UpgradeType.UPGRADE && u.upgradeType !== UpgradeType.SAFE_DOWNGRADE && u.upgradeType !== UpgradeType.UNSAFE_DOWNGRADE) {
    return invalid('The controller does not support the given upgrade type.');
  }
  if (u.level < 0) return invalid('A feature version cannot be less than 0.');
  const local = notSupported(u.level, `Local controller ${check.nodeId}`, check.supported.get(u.feature));
  if (local !== null) return invalid(local);
  for (const [id, ranges] of check.brokers ?? []) {
    if (id === check.nodeId) continue;
    const r = notSupported(u.level, `Broker ${id}`, ranges.get(u.feature));
    if (r !== null) return invalid(r);
  }
  const now = current.get(u.feature) ?? 0;
  if (u.level < now && u.upgradeType === UpgradeType.UPGRADE) {
    return invalid("Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.");
  }
  if (u.level > now && u.upgradeType !== UpgradeType.UPGRADE) return invalid("Can't downgrade to a newer version.");
  // metadata.version has one supported level here, so it never gets this far with another one.
  if (u.feature === METADATA_VERSION && u.level !== now) return `Unsupported metadata.version change from ${now} to ${u.level}.`;
  return null;
}

/** Kafka's QuorumFeatures.reasonNotSupported: a range of 0-0 (or none) means "does not support". */
function notSupported(level: number, who: string, range: SupportedRange | undefined): string | null {
  const r = range ?? { min: 0, max: 0 };
  if (level >= r.min && level <= r.max) return null;
  if (r.max === 0) return `${who} does not support this feature.`;
  return `${who} only supports versions ${r.min}-${r.max}`;
}
