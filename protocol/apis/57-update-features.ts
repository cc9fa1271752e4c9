import { defineApi } from '../schema.js';

/**
 * Changes cluster-wide finalized feature levels (KIP-584, KIP-778). v1 replaces AllowDowngrade by
 * UpgradeType and adds ValidateOnly; v2 drops the per-feature results (the top-level error says all).
 */
export default defineApi({
  key: 57,
  name: 'UpdateFeatures',
  versions: '0-2',
  flexible: '0+',
  request: {
    timeoutMs: ['int32', '0+', { default: 60000 }],
    featureUpdates: ['[]FeatureUpdateKey', '0+', {
      feature: ['string', '0+'],
      maxVersionLevel: ['int16', '0+', { about: 'The new finalized level; below 1 deletes the feature (level 0).' }],
      allowDowngrade: ['bool', '0', { about: 'v0 only: a lower level (or deletion) is allowed.' }],
      upgradeType: ['int8', '1+', { default: 1, about: '1 upgrade, 2 safe downgrade, 3 unsafe downgrade.' }],
    }],
    validateOnly: ['bool', '1+', { default: false }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+', default: null }],
    results: ['[]UpdatableFeatureResult', '0-1', {
      feature: ['string', '0+'],
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+', default: null }],
    }],
  },
});
