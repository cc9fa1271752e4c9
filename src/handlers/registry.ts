/**
 * The API registry: every API the broker serves (one handler file per API key, each behind the
 * entry cap), found by key for each request, and the ApiVersions response built from their
 * version ranges — so what is advertised is exactly what is served.
 */
import { newApiVersionsResponse, newApiVersionsResponseApiVersion, type ApiVersionsResponse } from '../../protocol/generated/index.js';
import type { ApiVersionsPort, Handler } from './types.js';
import { withEntryLimit } from './entry-limit.js';
import produce from './00-produce.js';
import fetch from './01-fetch.js';
import listOffsets from './02-list-offsets.js';
import metadata from './03-metadata.js';
import offsetCommit from './08-offset-commit.js';
import offsetFetch from './09-offset-fetch.js';
import findCoordinator from './10-find-coordinator.js';
import joinGroup from './11-join-group.js';
import heartbeat from './12-heartbeat.js';
import leaveGroup from './13-leave-group.js';
import syncGroup from './14-sync-group.js';
import describeGroups from './15-describe-groups.js';
import listGroups from './16-list-groups.js';
import deleteGroups from './42-delete-groups.js';
import offsetDelete from './47-offset-delete.js';
import apiVersions from './18-api-versions.js';
import createTopics from './19-create-topics.js';
import deleteTopics from './20-delete-topics.js';
import deleteRecords from './21-delete-records.js';
import initProducerId from './22-init-producer-id.js';
import addPartitionsToTxn from './24-add-partitions-to-txn.js';
import addOffsetsToTxn from './25-add-offsets-to-txn.js';
import endTxn from './26-end-txn.js';
import writeTxnMarkers from './27-write-txn-markers.js';
import txnOffsetCommit from './28-txn-offset-commit.js';
import describeConfigs from './32-describe-configs.js';
import alterConfigs from './33-alter-configs.js';
import createPartitions from './37-create-partitions.js';
import incrementalAlterConfigs from './44-incremental-alter-configs.js';
import describeCluster from './60-describe-cluster.js';
import describeTopicPartitions from './75-describe-topic-partitions.js';
// Ops and admin-tool APIs (log dirs, ACLs, SASL, leader epochs, elections, reassignments,
// quotas, SCRAM, producers, transactions).
import saslHandshake from './17-sasl-handshake.js';
import offsetForLeaderEpoch from './23-offset-for-leader-epoch.js';
import describeAcls from './29-describe-acls.js';
import createAcls from './30-create-acls.js';
import deleteAcls from './31-delete-acls.js';
import describeLogDirs from './35-describe-log-dirs.js';
import saslAuthenticate from './36-sasl-authenticate.js';
import electLeaders from './43-elect-leaders.js';
import alterPartitionReassignments from './45-alter-partition-reassignments.js';
import listPartitionReassignments from './46-list-partition-reassignments.js';
import describeClientQuotas from './48-describe-client-quotas.js';
import alterClientQuotas from './49-alter-client-quotas.js';
import describeUserScramCredentials from './50-describe-user-scram-credentials.js';
import alterUserScramCredentials from './51-alter-user-scram-credentials.js';
import describeProducers from './61-describe-producers.js';
import describeTransactions from './65-describe-transactions.js';
import listTransactions from './66-list-transactions.js';
import listConfigResources from './74-list-config-resources.js';
import consumerGroupHeartbeat from './68-consumer-group-heartbeat.js';
import consumerGroupDescribe from './69-consumer-group-describe.js';
import updateFeatures from './57-update-features.js';
import shareGroupHeartbeat from './76-share-group-heartbeat.js';
import shareGroupDescribe from './77-share-group-describe.js';
import shareFetch from './78-share-fetch.js';
import shareAcknowledge from './79-share-acknowledge.js';
import initializeShareGroupState from './83-initialize-share-group-state.js';
import readShareGroupState from './84-read-share-group-state.js';
import writeShareGroupState from './85-write-share-group-state.js';
import deleteShareGroupState from './86-delete-share-group-state.js';
import readShareGroupStateSummary from './87-read-share-group-state-summary.js';
import describeShareGroupOffsets from './90-describe-share-group-offsets.js';
import alterShareGroupOffsets from './91-alter-share-group-offsets.js';
import deleteShareGroupOffsets from './92-delete-share-group-offsets.js';

export const ALL_HANDLERS: ReadonlyArray<Handler<any, any>> = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  deleteGroups,
  offsetDelete,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  writeTxnMarkers,
  txnOffsetCommit,
  describeConfigs,
  alterConfigs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
  describeTopicPartitions,
  saslHandshake,
  offsetForLeaderEpoch,
  describeAcls,
  createAcls,
  deleteAcls,
  describeLogDirs,
  saslAuthenticate,
  electLeaders,
  alterPartitionReassignments,
  listPartitionReassignments,
  describeClientQuotas,
  alterClientQuotas,
  describeUserScramCredentials,
  alterUserScramCredentials,
  describeProducers,
  describeTransactions,
  listTransactions,
  listConfigResources,
  consumerGroupHeartbeat,
  consumerGroupDescribe,
  updateFeatures,
  shareGroupHeartbeat,
  shareGroupDescribe,
  shareFetch,
  shareAcknowledge,
  initializeShareGroupState,
  readShareGroupState,
  writeShareGroupState,
  deleteShareGroupState,
  readShareGroupStateSummary,
  describeShareGroupOffsets,
  alterShareGroupOffsets,
  deleteShareGroupOffsets,
].map((h: Handler<any, any>) => withEntryLimit(h));

export class ApiRegistry implements ApiVersionsPort {
  /** Handlers by API key. */
  readonly handlers = new Map<number, Handler>();

  constructor(handlers: ReadonlyArray<Handler<any, any>> = ALL_HANDLERS) {
    for (const h of handlers) {
      if (this.handlers.has(h.key)) throw new Error(`two handlers for API key ${h.key}`);
      this.handlers.set(h.key, h as Handler);
    }
  }

  get(apiKey: number): Handler | undefined {
    return this.handlers.get(apiKey);
  }

  apiVersionsResponse(errorCode: number): ApiVersionsResponse {
    const apiKeys = [...this.handlers.values()]
      .sort((a, b) => a.key - b.key)
      .map((h) => newApiVersionsResponseApiVersion({ apiKey: h.key, minVersion: h.minVersion, maxVersion: h.maxVersion }));
    return newApiVersionsResponse({ errorCode, apiKeys });
  }
}
