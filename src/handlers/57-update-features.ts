/**
 * UpdateFeatures (key 57), versions 0-2: changes the cluster's finalized feature levels
 * (src/features/; `kafka-features.sh upgrade|downgrade|disable`, Admin.updateFeatures).
 *
 * Kafka's rules and messages (features/update.ts): every update is checked and the first bad one
 * fails the whole request with INVALID_UPDATE_VERSION at the top level and no per-feature results;
 * otherwise (unless validateOnly) all are applied at once and v0-v1 list each feature with
 * NONE — and, as Kafka writes it, the message "NONE". v0's AllowDowngrade is ignored (Kafka 4.4
 * treats every v0 update as an upgrade); v1 adds UpgradeType and ValidateOnly; v2 drops the
 * per-feature results. Authorization: ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 *
 * The feature list is bounded by the request size; each entry is a map update, and the whole
 * request is one write (a file rewrite on one node, one etcd transaction in a cluster).
 */
import { newUpdateFeaturesResponse, newUpdateFeaturesResponseUpdatableFeatureResult, type UpdateFeaturesRequest, type UpdateFeaturesResponse } from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { UpgradeType } from '../features/update.js';
import { AclOperation, CLUSTER_AUTH_MESSAGE, canCluster } from './authz.js';
import { defineHandler } from './types.js';

function failed(code: number, message: string | null): UpdateFeaturesResponse {
  return newUpdateFeaturesResponse({ throttleTimeMs: 0, errorCode: code, errorMessage: message, results: [] });
}

export default defineHandler<UpdateFeaturesRequest, UpdateFeaturesResponse>({
  key: 57,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    if (!canCluster(ctx, AclOperation.ALTER)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTH_MESSAGE);
    const updates = req.featureUpdates.map((u) => ({ feature: u.feature, level: u.maxVersionLevel, upgradeType: ctx.version >= 1 ? u.upgradeType : UpgradeType.UPGRADE }));
    try {
      await ctx.features.update(updates, ctx.version >= 1 && req.validateOnly);
    } catch (err) {
      if (err instanceof KafkaError) return failed(err.code, err.message);
      throw err;
    }
    return newUpdateFeaturesResponse({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      results: ctx.version <= 1 ? req.featureUpdates.map((u) => newUpdateFeaturesResponseUpdatableFeatureResult({ feature: u.feature, errorCode: ErrorCode.NONE, errorMessage: 'NONE' })) : [],
    });
  },
  errorResponse(_ctx, _req, code, message) {
    return failed(code, message);
  },
});
