/**
 * The logger storage writes to: a minimal structural interface, so that storage/ depends on no
 * logging library and nothing of the broker. pino's Logger satisfies it as it is (the broker
 * passes its own, and storage makes per-partition children with `child({ topic, partition })`).
 * Payloads (record keys/values) are never logged.
 *
 * No on-disk format lives here.
 */

/** pino's calling conventions: a message, or an object of fields and an optional message. */
export interface StorageLogFn {
  (msg: string): void;
  (obj: object, msg?: string): void;
}

export interface StorageLogger {
  child(bindings: Record<string, unknown>): StorageLogger;
  debug: StorageLogFn;
  info: StorageLogFn;
  warn: StorageLogFn;
  error: StorageLogFn;
}

const noop = (): void => {};
const silent: StorageLogger = { child: () => silent, debug: noop, info: noop, warn: noop, error: noop };

/** A logger that drops everything (the default when none is passed in). */
export function silentLogger(): StorageLogger {
  return silent;
}
