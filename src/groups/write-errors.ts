/**
 * What a group coordinator answers when writing its records to __consumer_offsets failed: Kafka's
 * coordinators turn the log's errors into coordinator errors the client knows how to retry
 * (COORDINATOR_NOT_AVAILABLE: try again here; NOT_COORDINATOR: find the coordinator again).
 * Used by offset commits (offsets.ts) and consumer-group heartbeats (consumer/heartbeat.ts).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

export function coordinatorWriteError(err: unknown): number {
  const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return code;
  }
}
