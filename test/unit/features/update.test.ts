/**
 * UpdateFeatures' rules (src/features/update.ts) as Kafka's controller applies them, and the
 * stored form's decoding: the first bad update fails the whole request with Kafka's message; a
 * broker whose registration lacks a range does not support the feature; level 0 removes it.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import { bootstrapLevels, supportedFeatures } from '../../../src/features/definitions.js';
import { decodeStoredFeatures } from '../../../src/features/finalized.js';
import { applyUpdates, UpgradeType } from '../../../src/features/update.js';

const supported = supportedFeatures(true);
const check = { nodeId: 1, supported };
const current = new Map([['metadata.version', 33], ['group.version', 1]]);

function reason(updates: Parameters<typeof applyUpdates>[1], c: Parameters<typeof applyUpdates>[2] = check): string | null {
  try {
    applyUpdates(current, updates, c);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    return (err as KafkaError).message.replace('The update failed for all features since the following feature had an error: ', '');
  }
}

describe('feature updates', () => {
  it('applies upgrades and downgrades, level 0 removing the feature', () => {
    expect(applyUpdates(current, [{ feature: 'transaction.version', level: 2, upgradeType: UpgradeType.UPGRADE }], check)).toEqual(new Map([...current, ['transaction.version', 2]]));
    expect(applyUpdates(current, [{ feature: 'group.version', level: 0, upgradeType: UpgradeType.SAFE_DOWNGRADE }], check)).toEqual(new Map([['metadata.version', 33]]));
    expect(applyUpdates(current, [], check)).toEqual(current);
  });

  it("refuses with Kafka's reasons, in Kafka's order", () => {
    expect(reason([{ feature: 'group.version', level: 1, upgradeType: 0 }])).toBe('Invalid update version 1 for feature group.version. The controller does not support the given upgrade type.');
    expect(reason([{ feature: 'group.version', level: -2, upgradeType: 7 }])).toContain('The controller does not support the given upgrade type.');
    expect(reason([{ feature: 'group.version', level: -1, upgradeType: UpgradeType.SAFE_DOWNGRADE }])).toBe('Invalid update version -1 for feature group.version. A feature version cannot be less than 0.');
    expect(reason([{ feature: 'group.version', level: 2, upgradeType: UpgradeType.UPGRADE }])).toBe('Invalid update version 2 for feature group.version. Local controller 1 only supports versions 0-1');
    expect(reason([{ feature: 'share.version', level: 3, upgradeType: UpgradeType.UPGRADE }])).toBe('Invalid update version 3 for feature share.version. Local controller 1 only supports versions 0-2');
    expect(reason([{ feature: 'group.version', level: 0, upgradeType: UpgradeType.UPGRADE }])).toContain("Can't downgrade the version of this feature without setting the upgrade type");
    expect(reason([{ feature: 'transaction.version', level: 1, upgradeType: UpgradeType.UNSAFE_DOWNGRADE }])).toBe("Invalid update version 1 for feature transaction.version. Can't downgrade to a newer version.");
    // The second update is bad: nothing is applied.
    expect(reason([{ feature: 'transaction.version', level: 2, upgradeType: UpgradeType.UPGRADE }, { feature: 'nope', level: 1, upgradeType: UpgradeType.UPGRADE }])).toContain('feature nope. Local controller 1 does not support this feature.');
  });

  it('checks every other registered broker; one registered without ranges supports nothing', () => {
    const brokers = new Map([[2, new Map([['transaction.version', { min: 0, max: 1 }]])], [3, new Map()]]);
    expect(reason([{ feature: 'transaction.version', level: 2, upgradeType: UpgradeType.UPGRADE }], { ...check, brokers })).toBe('Invalid update version 2 for feature transaction.version. Broker 2 only supports versions 0-1');
    expect(reason([{ feature: 'transaction.version', level: 1, upgradeType: UpgradeType.UPGRADE }], { ...check, brokers })).toBe('Invalid update version 1 for feature transaction.version. Broker 3 does not support this feature.');
    // Level 0 is within every broker's range.
    expect(reason([{ feature: 'group.version', level: 0, upgradeType: UpgradeType.SAFE_DOWNGRADE }], { ...check, brokers })).toBeNull();
  });

  it('a new cluster starts at the production levels; the stored form is checked', () => {
    expect(bootstrapLevels()).toEqual(new Map([['metadata.version', 33], ['transaction.version', 2], ['group.version', 1], ['share.version', 2]]));
    expect(decodeStoredFeatures({ epoch: 3, levels: { 'metadata.version': 33, 'group.version': 0 } })).toEqual({ epoch: 3, levels: { 'metadata.version': 33 } });
    for (const bad of [null, [], { levels: [] }, { levels: { x: -1 } }, { levels: { x: 1.5 } }, { levels: { x: 40000 } }, { epoch: -1, levels: {} }]) expect(decodeStoredFeatures(bad)).toBeNull();
  });
});
