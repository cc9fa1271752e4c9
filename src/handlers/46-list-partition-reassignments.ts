/**
 * ListPartitionReassignments (key 46), version 0.
 *
 * A single node never moves replicas, so no reassignment is ever in progress: the answer is an
 * empty list, whatever topics are asked for (unknown ones included, as Kafka answers).
 * kafka-reassign-partitions --list prints "No partition reassignments found.".
 */
import { newListPartitionReassignmentsResponse, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  key: 46,
  minVersion: 0,
  maxVersion: 0,
  handle() {
    return newListPartitionReassignmentsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] });
  },
  errorResponse(_ctx, _req, code, message) {
    return newListPartitionReassignmentsResponse({ throttleTimeMs: 0, errorCode: code, errorMessage: message, topics: [] });
  },
});
