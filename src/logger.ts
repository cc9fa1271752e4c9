/**
 * The pino root logger. Child loggers carry context ({conn, clientId}, {topic, partition}).
 * Payloads (record keys/values) are never logged.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything: for tests and embedded use that want silence. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
