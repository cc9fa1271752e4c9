/** The handler registry: every API the broker serves, one file per API key. */
import type { Handler } from './types.js';
import metadata from './03-metadata.js';
import apiVersions from './18-api-versions.js';
import createTopics from './19-create-topics.js';
import deleteTopics from './20-delete-topics.js';
import describeConfigs from './32-describe-configs.js';
import alterConfigs from './33-alter-configs.js';
import createPartitions from './37-create-partitions.js';
import incrementalAlterConfigs from './44-incremental-alter-configs.js';
import describeCluster from './60-describe-cluster.js';

export const ALL_HANDLERS: ReadonlyArray<Handler<any, any>> = [
  metadata,
  apiVersions,
  createTopics,
  deleteTopics,
  describeConfigs,
  alterConfigs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
];
