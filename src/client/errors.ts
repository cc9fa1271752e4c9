/**
 * Errors the client raises. A `KafkaResponseError` carries the Kafka error code a broker answered
 * with (by name, so messages read like the Java client's), and whether Kafka calls it retriable;
 * a `ConnectionError` means the bytes never made it (connect refused, socket closed, timeout).
 */
import { errorName, isRetriable } from '../../protocol/errors.js';

export class KafkaResponseError extends Error {
  readonly errorName: string;
  readonly retriable: boolean;
  constructor(
    readonly code: number,
    context: string,
    detail?: string | null,
  ) {
    super(`${context}: ${errorName(code)}${detail ? ` (${detail})` : ''}`);
    this.name = 'KafkaResponseError';
    this.errorName = errorName(code);
    this.retriable = isRetriable(code);
  }
}

export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** Throws a KafkaResponseError unless `code` is NONE. */
export function check(code: number, context: string, detail?: string | null): void {
  if (code !== 0) throw new KafkaResponseError(code, context, detail);
}
